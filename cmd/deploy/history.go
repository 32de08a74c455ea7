package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"deploy/state"
)

func newHistoryCmd(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "history [SERVICE]",
		Short: "Show every operation on a service, or on the whole controller: time, actor, from, to, result, duration",
		Long: `Show the history of one service's operations, or without SERVICE every entry
of the controller's history: the services' operations, the ZEO servers'
("zeo:NAME") and the configuration reloads (service "-").`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if limit < 0 {
				return usageError{fmt.Errorf("--limit must be 0 (all) or more, not %d", limit)}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			service := ""
			if len(a) == 1 {
				service = a[0]
			}
			entries, err := c.History(cmd.Context(), service, limit)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, entries)
			}
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TIME\tSERVICE\tACTOR\tOP\tSLOT\tFROM\tTO\tRELEASE\tRESULT\tDURATION\tDETAIL")
			for _, e := range entries {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format(time.DateTime), orDash(e.Service), e.Actor, e.Op,
					orDash(e.Slot), orDash(e.From), orDash(e.To), orDash(e.Release), e.Result,
					(time.Duration(e.Duration * float64(time.Millisecond))).Round(time.Microsecond), historyDetail(e))
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many of the latest entries to show (0: all)")
	jsonFlag(cmd, g)
	return cmd
}

// historyDetail says why and how an entry went, in one cell: the reason, a
// forced switch, the error or the detail, and the checks when they are not
// in the error already.
func historyDetail(e state.Entry) string {
	var parts []string
	if e.Reason != "" {
		parts = append(parts, "reason: "+e.Reason)
	}
	if e.Forced {
		parts = append(parts, "forced")
	}
	if e.Checks != "" && !strings.Contains(e.Error, e.Checks) {
		parts = append(parts, "checks: "+e.Checks)
	}
	switch {
	case e.Error != "":
		parts = append(parts, e.Error)
	case e.Detail != "":
		parts = append(parts, e.Detail)
	}
	return strings.Join(parts, "; ")
}
