package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
)

func newRestartCmd(g *globals) *cobra.Command {
	var req orchestrator.RestartRequest
	cmd := &cobra.Command{
		Use:   "restart SERVICE",
		Short: "Restart a service's live slot without failing a request",
		Long: `Restart the live slot's instances one at a time: each is taken out of the
proxy's rotation, finishes the requests it is answering (up to the service's
drain_timeout), is stopped (SIGTERM, then SIGKILL after the stack's grace),
started again, waits for its ready path and the service's checks, and comes
back into rotation. All the others serve meanwhile. An instance that does not
come back stops the restart and stays out of rotation.

With one instance there is nobody to serve meanwhile, so the live release is
started in the idle slot, checked and switched to; the slot that was live
keeps running for a rollback, as after any switch, and what ran in the idle
slot is replaced.

A service's restart block runs the same restart on a schedule. Every restart
is recorded in the history.`,
		Example: "  deploy restart site --reason \"memory at 90%\"",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			req.Service = a[0]
			return callController(g, func(c *orchestrator.Client) (*orchestrator.RestartResult, error) {
				if !g.json {
					c.OnStep(func(s orchestrator.Step) { printStep(g, s) })
				}
				return c.Restart(cmd.Context(), req)
			}, printRestart)
		},
	}
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why, for the history")
	jsonFlag(cmd, g)
	return cmd
}

func printRestart(w io.Writer, res *orchestrator.RestartResult) {
	took := (time.Duration(res.TookMS) * time.Millisecond).Round(time.Millisecond)
	if res.Switch != nil {
		fmt.Fprintf(w, "%s: restarted %s in slot %s and switched to it in %s; %s keeps running for rollback\n",
			res.Service, res.Release, res.Slot, took, res.Switch.From)
		return
	}
	fmt.Fprintf(w, "%s: restarted the %d instances of %s (%s) one at a time in %s\n", res.Service, len(res.Instances), res.Slot, res.Release, took)
	for _, in := range res.Instances {
		cut := ""
		if in.Unfinished > 0 {
			cut = fmt.Sprintf("; %d requests still unanswered at the drain timeout were cut", in.Unfinished)
		}
		fmt.Fprintf(w, "  instance %d (%s): pid %d → %d in %dms%s\n", in.Index, in.Addr, in.OldPID, in.NewPID, in.TookMS, cut)
	}
}
