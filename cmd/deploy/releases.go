package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newReleasesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "releases",
		Short: "List the releases: id, created, size, files, checksum, flags, and which slots use each",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.Releases(cmd.Context())
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, res)
			}
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tCREATED\tSIZE\tFILES\tSHA256\tFLAGS\tUSED BY")
			for _, r := range res {
				flags := []string{}
				if r.NeedsMigration {
					flags = append(flags, "needs-migration")
				}
				if len(r.Absolute) > 0 {
					flags = append(flags, "absolute-paths")
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%.12s\t%s\t%s\n", r.ID, r.Created.Local().Format(time.DateTime),
					byteSize(r.Size), r.Files, r.ArchiveSHA256, orDash(strings.Join(flags, ",")), orDash(strings.Join(r.UsedBy, ", ")))
			}
			return w.Flush()
		},
	}
	jsonFlag(cmd, g)
	cmd.AddCommand(newReleasesRmCmd(g))
	return cmd
}

func newReleasesRmCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rm ID",
		Short: "Delete a release (refused while a slot uses it)",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.RemoveRelease(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, res)
			}
			fmt.Fprintf(g.stdout, "release %s removed\n", res.ID)
			return nil
		},
	}
	jsonFlag(cmd, g)
	return cmd
}
