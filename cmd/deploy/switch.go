package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
)

func newSwitchCmd(g *globals) *cobra.Command {
	var req orchestrator.SwitchRequest
	cmd := &cobra.Command{
		Use:   "switch SERVICE --to SLOT",
		Short: "Route a service's new requests to another slot, without dropping any",
		Long: `Route the service's new requests to another slot at once. Requests in flight
finish on the old slot, which keeps running so that "deploy rollback" is
instant. The command reports when the old slot has drained (or, at the
service's drain_timeout, how many requests were still in flight there).

The switch is refused when the target slot is not running, when one of its
instances does not answer its ready path, or when it fails one of the
service's checks (run directly on each instance and through the preview
route, exit code 3). --force skips the readiness gate (never the need for
running instances) and --skip-checks skips the checks; both are recorded in
the history.`,
		Example: "  deploy switch demo --to green --reason \"release 2026.11.22-1\"",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			req.Service = a[0]
			return g.runSwitch(cmd.Context(), "switched", func(ctx context.Context, c *orchestrator.Client) (*orchestrator.SwitchResult, error) {
				return c.Switch(ctx, req)
			})
		},
	}
	cmd.Flags().StringVar(&req.To, "to", "", "slot to route to (required)")
	cmd.Flags().BoolVar(&req.Force, "force", false, "switch even if the slot fails its readiness probe (recorded)")
	cmd.Flags().BoolVar(&req.SkipChecks, "skip-checks", false, "switch without running the service's checks (recorded)")
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why, for the history")
	cmd.MarkFlagRequired("to")
	jsonFlag(cmd, g)
	return cmd
}

func newRollbackCmd(g *globals) *cobra.Command {
	var req orchestrator.RollbackRequest
	cmd := &cobra.Command{
		Use:   "rollback SERVICE",
		Short: "Switch a service back to its previous slot, which is still running",
		Long: `Switch the service back to the slot that was live before the last switch. That
slot kept running, so this is the same instant pointer swap as a switch. It is
refused when there is no previous slot or when the previous slot was stopped.`,
		Example: "  deploy rollback demo --reason \"errors after release\"",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			req.Service = a[0]
			return g.runSwitch(cmd.Context(), "rolled back", func(ctx context.Context, c *orchestrator.Client) (*orchestrator.SwitchResult, error) {
				return c.Rollback(ctx, req)
			})
		},
	}
	cmd.Flags().BoolVar(&req.Force, "force", false, "roll back even if the previous slot fails its readiness probe (recorded)")
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why, for the history")
	jsonFlag(cmd, g)
	return cmd
}

// runSwitch runs a switch or a rollback and prints what it did.
func (g *globals) runSwitch(ctx context.Context, verb string, op func(context.Context, *orchestrator.Client) (*orchestrator.SwitchResult, error)) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	res, err := op(ctx, c)
	if err != nil {
		var oe *orchestrator.Error
		if errors.As(err, &oe) && len(oe.Checks) > 0 && !g.json {
			printChecks(g.stderr, oe.Checks)
		}
		return err
	}
	return g.printSwitch(verb, res)
}

func (g *globals) printSwitch(verb string, res *orchestrator.SwitchResult) error {
	if g.json {
		return printJSON(g.stdout, res)
	}
	w := g.stdout
	if res.Unchanged {
		fmt.Fprintf(w, "%s: %s is already live; nothing changed\n", res.Service, res.To)
		return nil
	}
	from := res.From
	if from == "" {
		from = "(nothing)"
	}
	forced := ""
	if res.Forced {
		forced = " (forced)"
	}
	fmt.Fprintf(w, "%s: %s from %s to %s%s; %s is live now\n", res.Service, verb, from, res.To, forced, res.To)
	if res.Checks != "" {
		fmt.Fprintf(w, "%s: checks: %s\n", res.Service, res.Checks)
	}
	printDrain(w, res)
	return nil
}

func printDrain(w io.Writer, res *orchestrator.SwitchResult) {
	d := res.Drain
	switch {
	case d == nil:
	case d.Drained:
		fmt.Fprintf(w, "%s: %s drained in %s and keeps running for rollback\n", res.Service, d.Slot, d.Took.Round(time.Millisecond))
	case d.LiveAgain:
		fmt.Fprintf(w, "%s: %s became live again before it drained\n", res.Service, d.Slot)
	default:
		fmt.Fprintf(w, "%s: %s still has %d requests in flight after the drain timeout; they finish there (it keeps running)\n",
			res.Service, d.Slot, d.Remaining)
	}
}
