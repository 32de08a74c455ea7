package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
)

type upCmd struct {
	g    *globals
	slot string
}

func newUpCmd(g *globals) *cobra.Command {
	u := &upCmd{g: g}
	cmd := &cobra.Command{
		Use:   "up SERVICE --slot SLOT",
		Short: "Start a service's stack in a slot and wait until every instance is ready",
		Long: `Start the service's stack in a slot that is not live: one process per instance on
the slot's ports, each with its own var directory and log file. The command
returns when every instance answers the ready path, or fails with the failing
instance's last log lines (and the slot is stopped again). A slot that already
runs is restarted. The live slot is refused: switch away from it first.`,
		Example: "  deploy up demo --slot green",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.Up(cmd.Context(), orchestrator.UpRequest{Service: a[0], Slot: u.slot})
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, res)
			}
			verb := "is up"
			if res.Restarted {
				verb = "was restarted"
			}
			fmt.Fprintf(g.stdout, "%s: slot %s %s: %d instances on ports %s (release %s), ready in %s\n",
				res.Service, res.Slot, verb, len(res.Ports), portRange(res.Ports), res.Release,
				(time.Duration(res.TookMS) * time.Millisecond).String())
			return nil
		},
	}
	cmd.Flags().StringVar(&u.slot, "slot", "", "slot to start (required)")
	cmd.MarkFlagRequired("slot")
	jsonFlag(cmd, g)
	return cmd
}
