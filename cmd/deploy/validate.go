package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check a configuration file and print every problem with its file, line and column",
		Long: `Check a configuration file without starting anything. Every problem is printed at
once with its file, line, column and the source line. Warnings do not fail the
check; errors exit with status 2.`,
		Args: args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s is valid: %d services\n", cfg.File, len(cfg.Services))
			return nil
		},
	}
}
