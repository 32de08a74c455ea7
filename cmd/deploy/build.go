package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
)

func newBuildCmd(g *globals) *cobra.Command {
	var req orchestrator.BuildRequest
	cmd := &cobra.Command{
		Use:   "build DIR|ARCHIVE --release ID",
		Short: "Build a directory into an immutable, relocatable release (or import an exported stack)",
		Long: `Build the application tree in DIR into a release: an archive plus a manifest
(id, checksums, file count, size, flags) kept by the controller.

The build is made relocatable: the absolute build directory is replaced by a
placeholder in every text file (scripts and their shebangs, .pth, .cfg, .conf,
.ini, .py, egg-links...) and links into the tree become relative, so that
"deploy up --release ID" can unpack it into any slot and run two copies side
by side. Binary files that contain the build path cannot be relocated: the
build lists them and is refused, unless --allow-absolute keeps them as they are.

Given an archive written by "deploy export", build imports it under a new id.`,
		Example: "  deploy build ./build --release 2026.11.22-1\n  deploy build backup.tar.zst --release restored-1",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if req.ID == "" {
				return usageError{fmt.Errorf("--release ID is required")}
			}
			src, err := filepath.Abs(a[0])
			if err != nil {
				return err
			}
			req.Source = src
			c, err := g.client()
			if err != nil {
				return err
			}
			c.OnProgress(g.progress())
			res, err := c.BuildRelease(cmd.Context(), req)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, res)
			}
			fmt.Fprintf(g.stdout, "release %s built: %d files, %s, %d relocated, sha256 %s\n",
				res.ID, res.Files, byteSize(res.Size), res.Relocated, res.ArchiveSHA256)
			if len(res.Absolute) > 0 {
				fmt.Fprintf(g.stdout, "kept with absolute paths (--allow-absolute): %v\n", res.Absolute)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&req.ID, "release", "", "release id, e.g. 2026.11.22-1 (required)")
	cmd.Flags().StringVar(&req.Format, "format", "tar.zst", "archive format: tar.zst, tar.gz or zip")
	cmd.Flags().BoolVar(&req.NeedsMigration, "needs-migration", false, "the release needs a data migration (it cannot run beside the old one)")
	cmd.Flags().BoolVar(&req.AllowAbsolute, "allow-absolute", false, "keep binary files that contain the build path")
	jsonFlag(cmd, g)
	return cmd
}

// byteSize prints a size in the largest binary unit that keeps it above 1.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
