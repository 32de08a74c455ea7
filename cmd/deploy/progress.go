package main

import (
	"fmt"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"deploy/orchestrator"
)

// progress returns how a command shows the progress of long steps: a bar per
// phase on a terminal, a plain line per quarter otherwise, nothing with
// --json (whose output is for machines).
func (g *globals) progress() func(orchestrator.Progress) {
	if g.json {
		return nil
	}
	f, ok := g.stderr.(*os.File)
	if ok && term.IsTerminal(int(f.Fd())) {
		return barProgress(f)
	}
	return lineProgress(g)
}

func barProgress(f *os.File) func(orchestrator.Progress) {
	var bar *progressbar.ProgressBar
	phase, total := "", int64(0)
	return func(p orchestrator.Progress) {
		if p.Phase != phase || bar == nil {
			if bar != nil {
				bar.Finish()
			}
			phase, total = p.Phase, p.Total
			bar = progressbar.NewOptions64(p.Total, progressbar.OptionSetWriter(f),
				progressbar.OptionSetDescription(p.Phase), progressbar.OptionShowBytes(true),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(f) }))
		}
		// A step may learn its exact total late (a build's manifest is
		// sized last).
		if p.Total != total {
			total = p.Total
			bar.ChangeMax64(total)
		}
		bar.Set64(p.Done)
	}
}

func lineProgress(g *globals) func(orchestrator.Progress) {
	phase, quarter := "", -1
	return func(p orchestrator.Progress) {
		q := 4
		if p.Total > 0 {
			q = int(p.Done * 4 / p.Total)
		}
		if p.Phase == phase && q == quarter {
			return
		}
		phase, quarter = p.Phase, q
		fmt.Fprintf(g.stderr, "%s: %d%% (%d of %d bytes)\n", p.Phase, q*25, p.Done, p.Total)
	}
}
