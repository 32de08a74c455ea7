package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newHistoryCmd(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "history SERVICE",
		Short: "Show every operation on a service: time, actor, from, to, result, duration",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if limit < 0 {
				return usageError{fmt.Errorf("--limit must be 0 (all) or more, not %d", limit)}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			entries, err := c.History(cmd.Context(), a[0], limit)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, entries)
			}
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TIME\tACTOR\tOP\tSLOT\tFROM\tTO\tRESULT\tDURATION\tDETAIL")
			for _, e := range entries {
				detail := e.Detail
				if e.Error != "" {
					detail = e.Error
				}
				if e.Forced {
					detail = "forced; " + detail
				}
				if e.Reason != "" {
					detail = "reason: " + e.Reason + "; " + detail
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format(time.DateTime), e.Actor, e.Op,
					orDash(e.Slot), orDash(e.From), orDash(e.To), e.Result,
					(time.Duration(e.Duration * float64(time.Millisecond))).Round(time.Microsecond), detail)
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many of the latest entries to show (0: all)")
	jsonFlag(cmd, g)
	return cmd
}
