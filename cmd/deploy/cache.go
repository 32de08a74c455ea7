package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
)

func newCacheCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Work on the proxy's response cache of a service",
		Long: `The proxy caches the pages of a service that has a cache block, for every
release apart, as a shared cache (RFC 9111) does. deploy status shows its hits,
misses and size.`,
		Args: args(cobra.NoArgs),
	}
	cmd.AddCommand(newCachePurgeCmd(g))
	return cmd
}

func newCachePurgeCmd(g *globals) *cobra.Command {
	var req orchestrator.PurgeRequest
	cmd := &cobra.Command{
		Use:   "purge SERVICE [--path PATH]",
		Short: "Empty a service's cache, or the entries of one path or prefix",
		Long: `Remove the service's cache entries in every release: all of them, those of one
path (any query string, host or variant) with --path /front-page, or those
under a prefix with --path "/theme/*". The next request for a page reaches the
live slot. The same is done by a PURGE request sent to the proxy from an
address in the cache block's purge_from.`,
		Example: "  deploy cache purge site\n  deploy cache purge site --path \"/++theme++site/*\"",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			req.Service = a[0]
			return callController(g, func(c *orchestrator.Client) (*orchestrator.PurgeResult, error) {
				return c.PurgeCache(cmd.Context(), req)
			}, func(w io.Writer, res *orchestrator.PurgeResult) {
				what := "the cache"
				if res.Path != "" {
					what = "the cache entries of " + res.Path
				}
				fmt.Fprintf(w, "%s: purged %s: %d entries removed\n", res.Service, what, res.Purged)
			})
		},
	}
	cmd.Flags().StringVar(&req.Path, "path", "", `a path such as /front-page, or a prefix such as "/theme/*" (default: everything)`)
	jsonFlag(cmd, g)
	return cmd
}
