package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
)

func newMaintenanceCmd(g *globals) *cobra.Command {
	var message string
	cmd := &cobra.Command{
		Use:   "maintenance on|off SERVICE [--message TEXT]",
		Short: "Answer a service's visitors with the maintenance page, or stop doing so",
		Long: `"maintenance on" makes the proxy answer every visitor of the service with a 503,
a Retry-After header and the service's maintenance page (the built-in one
unless the service's maintenance block names a page), showing --message.
Nothing reaches the application; requests already in flight finish. The
proxy's own health path and the preview route keep working, so the new slot
can be tried during a migration. The mode is saved: a restarted controller
comes back in maintenance.

"maintenance off" lets visitors through to the live slot again.`,
		Example:   "  deploy maintenance on site --message \"Back at 14:00 UTC\"\n  deploy maintenance off site",
		Args:      args(cobra.ExactArgs(2)),
		ValidArgs: []string{"on", "off"},
		RunE: func(cmd *cobra.Command, a []string) error {
			var on bool
			switch a[0] {
			case "on":
				on = true
			case "off":
				if message != "" {
					return usageError{fmt.Errorf("--message goes with maintenance on only")}
				}
			default:
				return usageError{fmt.Errorf("%q: say on or off\nsee: deploy maintenance --help", a[0])}
			}
			return callController(g, func(c *orchestrator.Client) (*orchestrator.MaintenanceResult, error) {
				return c.Maintenance(cmd.Context(), orchestrator.MaintenanceRequest{Service: a[1], On: on, Message: message})
			}, printMaintenance)
		},
	}
	cmd.Flags().StringVar(&message, "message", "", "what visitors read (with on)")
	jsonFlag(cmd, g)
	return cmd
}

func printMaintenance(w io.Writer, res *orchestrator.MaintenanceResult) {
	switch {
	case res.On && res.Unchanged:
		fmt.Fprintf(w, "%s: already in maintenance (%q)\n", res.Service, res.Message)
	case res.On:
		fmt.Fprintf(w, "%s: in maintenance; visitors get a 503 with %q\n", res.Service, res.Message)
	case res.Unchanged:
		fmt.Fprintf(w, "%s: was not in maintenance; nothing changed\n", res.Service)
	default:
		fmt.Fprintf(w, "%s: maintenance is off; visitors reach the live slot\n", res.Service)
	}
}
