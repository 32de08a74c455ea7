package main

import (
	"fmt"
	"strings"

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
			names := make([]string, len(cfg.Services))
			for i, s := range cfg.Services {
				names[i] = s.Name
			}
			fmt.Fprintf(g.stdout, "%s is valid; services: %s\n", cfg.File, strings.Join(names, ", "))
			return nil
		},
	}
}
