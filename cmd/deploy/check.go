package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"deploy/checks"
	"deploy/orchestrator"
)

func newCheckCmd(g *globals) *cobra.Command {
	var req orchestrator.CheckRequest
	cmd := &cobra.Command{
		Use:   "check SERVICE --slot SLOT",
		Short: "Run a service's checks against a running slot and show every result",
		Long: `Run every check block of the service against a running slot: HTTP and TCP
checks on each instance's own port, HTTP checks once more through the proxy
(the preview route for a slot that is not live, so routing and rewriting are
checked too), command checks once with the slot's variables in their
environment. Each check has its own timeout and retries.

Exit code 0 when every check passed, 3 when one failed.`,
		Example: "  deploy check site --slot green\n  deploy check site --slot green --json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			req.Service = a[0]
			c, err := g.client()
			if err != nil {
				return err
			}
			rep, err := c.Check(cmd.Context(), req)
			if err != nil {
				return err
			}
			if g.json {
				if err := printJSON(g.stdout, rep); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(g.stdout, "%s: slot %s (release %s)\n", rep.Service, rep.Slot, rep.Release)
				printChecks(g.stdout, rep.Results)
				fmt.Fprintf(g.stdout, "%s\n", rep.Summary)
			}
			if !rep.OK {
				return silentError{code: exitChecksFailed}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&req.Slot, "slot", "", "slot to check (required)")
	cmd.MarkFlagRequired("slot")
	jsonFlag(cmd, g)
	return cmd
}

// printChecks prints check results as a table.
func printChecks(w io.Writer, results []checks.Result) {
	if len(results) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tKIND\tTARGET\tVIA\tRESULT\tTRIES\tTOOK\tSEEN")
	for _, r := range results {
		verdict := "ok"
		if !r.OK {
			verdict = "FAILED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%.0fms\t%s\n", r.Check, r.Kind, r.Target, r.Via, verdict, r.Attempts, r.TookMS, r.Message)
	}
	tw.Flush()
}
