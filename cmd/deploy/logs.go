package main

import (
	"github.com/spf13/cobra"
)

func newLogsCmd(g *globals) *cobra.Command {
	var slot string
	var instance, lines int
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs SERVICE --slot SLOT",
		Short: "Show (and follow) the logs of a slot's instances",
		Long: `Print the last lines of each instance's log file of a slot (prefixed with the
instance number when there are several), and with -f keep printing what they
write until interrupted.`,
		Example: "  deploy logs demo --slot green -f\n  deploy logs demo --slot blue --instance 2 --lines 500",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			return c.Logs(cmd.Context(), a[0], slot, instance, lines, follow, g.stdout)
		},
	}
	cmd.Flags().StringVar(&slot, "slot", "", "slot whose logs to show (required)")
	cmd.Flags().IntVar(&instance, "instance", 0, "only this instance (1-based; default every instance)")
	cmd.Flags().IntVarP(&lines, "lines", "n", 100, "how many of the last lines to show first")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines")
	cmd.MarkFlagRequired("slot")
	return cmd
}
