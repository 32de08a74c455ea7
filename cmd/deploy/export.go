package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func newExportCmd(g *globals) *cobra.Command {
	var slot, output string
	cmd := &cobra.Command{
		Use:   "export SERVICE --slot SLOT -o FILE",
		Short: "Write a running slot's stack (release and rendered configuration) to a relocatable archive",
		Long: `Write the stack a slot runs (its release as unpacked, with the configuration
rendered for its instances) to a relocatable release archive: a backup that
"deploy build FILE --release ID" imports on this or another machine. The file
appears only when the archive arrived whole and its checksum matches.`,
		Example: "  deploy export site --slot blue -o site-blue.tar.zst",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if output == "" {
				return usageError{fmt.Errorf("-o FILE is required")}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			tmp, err := os.CreateTemp(filepath.Dir(output), ".export-*")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			sum, err := c.Export(cmd.Context(), a[0], slot, tmp)
			if err == nil {
				err = tmp.Sync()
			}
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			if err := os.Rename(tmp.Name(), output); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s: slot %s exported to %s (sha256 %s)\n", a[0], slot, output, sum)
			return nil
		},
	}
	cmd.Flags().StringVar(&slot, "slot", "", "slot to export (required)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "archive to write (required)")
	cmd.MarkFlagRequired("slot")
	return cmd
}
