package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
)

type upCmd struct {
	g       *globals
	slot    string
	release string
}

func newUpCmd(g *globals) *cobra.Command {
	u := &upCmd{g: g}
	cmd := &cobra.Command{
		Use:   "up SERVICE --slot SLOT",
		Short: "Start a service's stack in a slot and wait until every instance is ready",
		Long: `Start the service's stack in a slot that is not live: one process per instance on
the slot's ports, each with its own var directory and log file. With --release
the release is checked against its checksum and unpacked into a new stack
directory of the slot, and the stack's templates are rendered per instance. The command
returns when every instance answers the ready path, or fails with the failing
instance's last log lines (and the slot is stopped again). A slot that already
runs is restarted. The live slot is refused while it runs: switch away from
it first. A live slot that is not running (a release through maintenance
stopped it) may be started again, and traffic returns to it.`,
		Example: "  deploy up demo --slot green\n  deploy up site --slot green --release 2026.11.22-1",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			c.OnProgress(g.progress())
			res, err := c.Up(cmd.Context(), orchestrator.UpRequest{Service: a[0], Slot: u.slot, Release: u.release})
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
			fmt.Fprintf(g.stdout, "%s: slot %s %s: instances on ports %s (release %s), ready in %s\n",
				res.Service, res.Slot, verb, portRange(res.Ports), res.Release,
				(time.Duration(res.TookMS) * time.Millisecond).String())
			return nil
		},
	}
	cmd.Flags().StringVar(&u.slot, "slot", "", "slot to start (required)")
	cmd.Flags().StringVar(&u.release, "release", "", "release to unpack into a fresh stack directory (default: run the configured stack dir)")
	cmd.MarkFlagRequired("slot")
	jsonFlag(cmd, g)
	return cmd
}
