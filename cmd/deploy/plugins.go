package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newPluginsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List the configured plugins: kind, path, protocol version, checksum pinning, health",
		Long: `List every plugin block of the configuration. The controller launches each
plugin that is not running (checking its pinned sha256 first, if any), asks it
for its name and version over the plugin protocol, and reports what it found.
A plugin that cannot be launched is listed with the reason; the controller
and the live slots are not affected by it.

Exit code 0 when every plugin is healthy, 1 otherwise.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.Plugins(cmd.Context())
			if err != nil {
				return err
			}
			healthy := true
			for _, p := range res {
				healthy = healthy && p.Healthy
			}
			if g.json {
				if err := printJSON(g.stdout, res); err != nil {
					return err
				}
			} else {
				w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "NAME\tKIND\tVERSION\tPROTOCOL\tSHA256\tHEALTH\tPATH")
				for _, p := range res {
					pinned, health, proto := "not pinned", "ok", "-"
					if p.Pinned {
						pinned = "pinned"
					}
					if !p.Healthy {
						health = "FAILED: " + p.Error
					}
					if p.Protocol > 0 {
						proto = fmt.Sprint(p.Protocol)
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Kind, orDash(p.Version), proto, pinned, health, orDash(p.Path))
				}
				w.Flush()
			}
			if !healthy {
				return silentError{code: exitFailed}
			}
			return nil
		},
	}
	jsonFlag(cmd, g)
	return cmd
}
