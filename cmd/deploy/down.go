package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
)

func newDownCmd(g *globals) *cobra.Command {
	var slot string
	cmd := &cobra.Command{
		Use:   "down SERVICE --slot SLOT",
		Short: "Stop a slot that is not live",
		Long: `Stop a slot's instances. Requests still in flight to the slot may finish first,
up to the service's drain_timeout. The live slot is refused: switch away from it
first. Stopping the previous slot means rollback has nothing warm to go back to.`,
		Example: "  deploy down demo --slot green",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.Down(cmd.Context(), orchestrator.DownRequest{Service: a[0], Slot: slot})
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, res)
			}
			switch {
			case res.Already:
				fmt.Fprintf(g.stdout, "%s: slot %s was not running\n", res.Service, res.Slot)
			case res.Drain.Drained:
				fmt.Fprintf(g.stdout, "%s: slot %s stopped (no request was in flight)\n", res.Service, res.Slot)
			default:
				fmt.Fprintf(g.stdout, "%s: slot %s stopped; %d requests were still in flight at the drain timeout and were cut\n",
					res.Service, res.Slot, res.Drain.Remaining)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&slot, "slot", "", "slot to stop (required)")
	cmd.MarkFlagRequired("slot")
	jsonFlag(cmd, g)
	return cmd
}
