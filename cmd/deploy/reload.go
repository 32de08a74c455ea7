package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
)

func newReloadCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "reload",
		Short: "Make the controller read its configuration file again, without dropping traffic",
		Long: `Make the running controller read its configuration file again and put it in
force: services added or removed, hosts, checks, timeouts, health and
maintenance settings, notifications, and the proxy's access log. The routing
table is swapped the way a switch swaps it, so no request is dropped. SIGHUP
to "deploy serve" does the same (systemctl reload).

A reload is all or nothing. The running configuration stays in force, and the
reason is printed, when the file has errors (with file, line and column),
when a service is busy with an operation, when it would remove a service or
a slot that still runs or change the ports or instances of a running slot,
or when it changes what only a restart can: the controller block, the
proxy's listeners and certificate settings, the zeo and plugin blocks.

Changes of a service's stack (command, environment, templates, instances)
take effect at its next "deploy up"; health probing settings at the next
start of a slot.`,
		Example: "  deploy reload\n  systemctl reload deploy",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.Reload(cmd.Context())
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, res)
			}
			if res.Warnings != "" {
				fmt.Fprint(g.stderr, res.Warnings)
			}
			fmt.Fprintf(g.stdout, "reloaded %s: %s\n", res.File, reloadSummary(res))
			return nil
		},
	}
}

func reloadSummary(res *orchestrator.ReloadResult) string {
	var parts []string
	add := func(what string, names []string) {
		if len(names) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", what, strings.Join(names, ", ")))
		}
	}
	add("added", res.Added)
	add("removed", res.Removed)
	add("changed", res.Changed)
	if len(parts) == 0 {
		return "no service changed"
	}
	return strings.Join(parts, "; ")
}
