package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"deploy/orchestrator"
)

type releaseCmd struct {
	g       *globals
	req     orchestrator.ReleaseRequest
	watch   time.Duration
	yes     bool
	noWatch bool
}

func newReleaseCmd(g *globals) *cobra.Command {
	r := &releaseCmd{g: g}
	cmd := &cobra.Command{
		Use:   "release SERVICE (--release ID | --from DIR)",
		Short: "Take a release live: up the idle slot, check, warm up, switch, watch, roll back if it misbehaves",
		Long: `Take a release live in one unattended run:

  (build --from DIR) → up the idle slot → checks → warm-up → switch → watch

The idle slot is the first slot that is not live; the live one keeps running,
warm, so that the watch can roll back at once. During the watch window
(--watch, default the service's watch setting) the new slot's error rate
(5xx answers and connection errors, from the proxy's own counters) and the
repeated checks decide: a breach of the service's rollback_when rolls back to
the previous slot by itself and records why. An operator's "deploy rollback"
or "deploy switch" interrupts the watch and takes over.

A release whose manifest says needs_migration cannot run side by side with the
old code on one database, and is refused unless --maintenance, which walks:
maintenance on → stop the old slots → the service's migrate command → up →
checks → switch → maintenance off. Any failure leaves maintenance on and says
where it stopped and how to go on or back.

On a terminal it asks for confirmation (--yes skips it) and shows each step;
with --json it prints one JSON event per line, the last one holding the result
or the error.

Exit codes: 0 released, 3 checks failed (nothing switched), 4 switched then
rolled back, 5 refused (busy, migration needed, bad input), 1 other failure.`,
		Example: `  deploy release site --release 2026.11.22-1
  deploy release site --from ./build --watch 5m --yes
  deploy release site --release 2026.11.22-2 --maintenance --message "Back at 14:00"`,
		Args:        args(cobra.ExactArgs(1)),
		Annotations: map[string]string{refusedExitAnnotation: "yes"},
		RunE: func(cmd *cobra.Command, a []string) error {
			g.refusedCode = exitRefused
			r.req.Service = a[0]
			return r.run(cmd)
		},
	}
	f := cmd.Flags()
	f.StringVar(&r.req.Release, "release", "", "release id to take live (or the id to build --from under)")
	f.StringVar(&r.req.From, "from", "", "build this directory into a release first")
	f.DurationVar(&r.watch, "watch", 0, "how long to watch the new slot after the switch (default: the service's watch setting)")
	f.BoolVar(&r.noWatch, "no-watch", false, "do not watch after the switch")
	f.BoolVar(&r.req.Maintenance, "maintenance", false, "walk the maintenance path (required for a release that needs a migration)")
	f.StringVar(&r.req.Message, "message", "", "what visitors read during --maintenance")
	f.StringVar(&r.req.Reason, "reason", "", "why, for the history")
	f.BoolVarP(&r.yes, "yes", "y", false, "do not ask for confirmation on a terminal")
	cmd.MarkFlagsMutuallyExclusive("watch", "no-watch")
	jsonFlag(cmd, g)
	return cmd
}

func (r *releaseCmd) run(cmd *cobra.Command) error {
	g := r.g
	if r.req.Release == "" && r.req.From == "" {
		return usageError{errors.New("give --release ID, or --from DIR to build one\nsee: deploy release --help")}
	}
	if r.req.Message != "" && !r.req.Maintenance {
		return usageError{errors.New("--message is what visitors read during --maintenance; give both or neither")}
	}
	if r.watch < 0 {
		return usageError{fmt.Errorf("--watch %s is negative", r.watch)}
	}
	if cmd.Flags().Changed("watch") || r.noWatch {
		w := orchestrator.Duration(r.watch)
		r.req.Watch = &w
	}
	if r.req.From != "" {
		abs, err := filepath.Abs(r.req.From)
		if err != nil {
			return usageError{err}
		}
		r.req.From = abs
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	if !r.yes && !g.json && isTerminal(os.Stdin) {
		if !r.confirm(cmd) {
			fmt.Fprintln(g.stderr, "deploy: nothing was done")
			return silentError{code: exitRefused}
		}
	}
	if g.json {
		enc := json.NewEncoder(g.stdout)
		c.OnStep(func(s orchestrator.Step) { enc.Encode(orchestrator.StreamEvent{Step: &s}) })
	} else {
		c.OnStep(func(s orchestrator.Step) { printStep(g, s) })
		c.OnProgress(g.progress())
	}
	res, err := c.Release(cmd.Context(), r.req)
	if err != nil {
		var oe *orchestrator.Error
		if g.json && errors.As(err, &oe) {
			json.NewEncoder(g.stdout).Encode(orchestrator.StreamEvent{Error: oe})
			fmt.Fprintf(g.stderr, "deploy: %s\n", oe.Message)
			return silentError{code: g.exitCode(oe.Kind)}
		}
		if errors.As(err, &oe) && len(oe.Checks) > 0 {
			printChecks(g.stderr, oe.Checks)
		}
		return err
	}
	if g.json {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		return json.NewEncoder(g.stdout).Encode(orchestrator.StreamEvent{Result: b})
	}
	fmt.Fprintf(g.stdout, "%s: released %s to %s in %s", res.Service, res.Release, res.To, (time.Duration(res.TookMS) * time.Millisecond).Round(time.Millisecond))
	if res.From != "" {
		fmt.Fprintf(g.stdout, "; %s keeps running for rollback", res.From)
	}
	fmt.Fprintln(g.stdout)
	return nil
}

// confirm asks the operator on the terminal.
func (r *releaseCmd) confirm(cmd *cobra.Command) bool {
	what := r.req.Release
	if what == "" {
		what = "a build of " + r.req.From
	}
	path := ""
	if r.req.Maintenance {
		path = " through maintenance (visitors get the maintenance page until it is done)"
	}
	fmt.Fprintf(r.g.stderr, "Release %s to %s%s? [y/N] ", what, r.req.Service, path)
	line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}

// printStep prints one step of a release as a line.
func printStep(g *globals, s orchestrator.Step) {
	mark := map[string]string{
		orchestrator.StepRunning: "..", orchestrator.StepOK: "ok", orchestrator.StepFailed: "!!",
		orchestrator.StepSkipped: "--", orchestrator.StepInfo: "  ",
	}[s.Status]
	line := fmt.Sprintf("[%s] %-15s", mark, s.Step)
	if s.Message != "" {
		line += " " + s.Message
	}
	fmt.Fprintln(g.stderr, strings.TrimRight(line, " "))
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
