package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"deploy/config"
)

func newCompletionCmd(g *globals) *cobra.Command {
	var noDesc bool
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script: commands, flags, and the configuration's services, slots and ZEO servers",
		Long: `Print the completion script of deploy for a shell. Besides commands and flags it
completes service names (deploy switch <TAB>), slot names (--slot, --to) and
ZEO server names, read from the configuration (--config, or DEPLOY_CONFIG)
without asking the controller, so it works while the controller is down. A
configuration that does not load completes nothing.

bash (needs the bash-completion package):
  for this shell:  source <(deploy completion bash)
  for every shell: deploy completion bash > /etc/bash_completion.d/deploy

zsh:
  for this shell:  source <(deploy completion zsh); compdef _deploy deploy
  for every shell: deploy completion zsh > "${fpath[1]}/_deploy"
                   (with "autoload -U compinit; compinit" in ~/.zshrc)

fish:
  for this shell:  deploy completion fish | source
  for every shell: deploy completion fish > ~/.config/fish/completions/deploy.fish

Open a new shell after installing the script for every shell.`,
		Args:      args(cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs)),
		ValidArgs: []string{"bash", "zsh", "fish"},
		RunE: func(cmd *cobra.Command, a []string) error {
			root, w := cmd.Root(), g.stdout
			switch a[0] {
			case "bash":
				return root.GenBashCompletionV2(w, !noDesc)
			case "zsh":
				if noDesc {
					return root.GenZshCompletionNoDesc(w)
				}
				return root.GenZshCompletion(w)
			default:
				return root.GenFishCompletion(w, !noDesc)
			}
		},
	}
	cmd.Flags().BoolVar(&noDesc, "no-descriptions", false, "complete without the short descriptions")
	return cmd
}

// registerCompletions makes the shell complete arguments and flags from the
// configuration. A positional argument is completed by the placeholder the
// command's Use line gives it: SERVICE by service names, NAME under "zeo"
// by ZEO server names, a word list such as on|off by its words. A new
// command with a SERVICE argument is thus completed without being listed
// here. --slot and --to are completed by the slots of the service given
// (of every service before one is).
func registerCompletions(cmd *cobra.Command, g *globals) {
	for _, c := range cmd.Commands() {
		if placeholders := usePlaceholders(c.Use); c.ValidArgsFunction == nil && slices.ContainsFunc(placeholders, completable(c)) {
			// cobra calls no ValidArgsFunction for a command with
			// ValidArgs (maintenance's on|off), so the function
			// completes those too. They serve completion only: the
			// commands check their first argument themselves.
			if len(c.ValidArgs) > 0 {
				placeholders[0] = strings.Join(c.ValidArgs, "|")
				c.ValidArgs = nil
			}
			c.ValidArgsFunction = g.completeArgs(placeholders)
		}
		for _, name := range []string{"slot", "to"} {
			if c.Flags().Lookup(name) != nil {
				c.RegisterFlagCompletionFunc(name, g.completeSlots)
			}
		}
		registerCompletions(c, g)
	}
}

// usePlaceholders returns the positional arguments of a Use line, without
// brackets: "maintenance on|off SERVICE [--message TEXT]" gives
// ["on|off", "SERVICE"]. Flags end them.
func usePlaceholders(use string) []string {
	var out []string
	for _, f := range strings.Fields(use)[1:] {
		f = strings.Trim(f, "[]")
		if strings.HasPrefix(f, "-") || strings.HasPrefix(f, "(") {
			break
		}
		out = append(out, f)
	}
	return out
}

// completable tells the placeholders this file completes for c.
func completable(c *cobra.Command) func(string) bool {
	return func(p string) bool {
		switch {
		case p == "SERVICE":
			return true
		case p == "NAME" || strings.HasPrefix(p, "NAME|"):
			return c.HasParent() && c.Parent().Name() == "zeo"
		}
		return false
	}
}

// completeArgs completes the next positional argument by its placeholder.
func (g *globals) completeArgs(placeholders []string) cobra.CompletionFunc {
	return func(c *cobra.Command, a []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(a) >= len(placeholders) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		p := placeholders[len(a)]
		switch {
		case p == "SERVICE":
			return g.configNames(func(cfg *config.Config) []string {
				names := make([]string, len(cfg.Services))
				for i, s := range cfg.Services {
					names[i] = s.Name
				}
				return names
			})
		case completable(c)(p): // a ZEO server's NAME
			return g.configNames(func(cfg *config.Config) []string {
				names := make([]string, len(cfg.ZEO))
				for i, z := range cfg.ZEO {
					names[i] = z.Name
				}
				return names
			})
		case strings.Contains(p, "|") && strings.ToLower(p) == p: // a word list
			return strings.Split(p, "|"), cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeSlots completes --slot and --to: the slots of the service named
// by the first argument, or of every service when none is given yet.
func (g *globals) completeSlots(_ *cobra.Command, a []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return g.configNames(func(cfg *config.Config) []string {
		var names []string
		for _, s := range cfg.Services {
			if len(a) > 0 && !slices.Contains(a, s.Name) {
				continue
			}
			for _, sl := range s.Slots {
				if !slices.Contains(names, sl.Name) {
					names = append(names, sl.Name)
				}
			}
		}
		return names
	})
}

// configNames loads the configuration quietly, as completion must not
// print, and returns the names pick finds in it; none when it does not load.
func (g *globals) configNames(pick func(*config.Config) []string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cfg, _, err := config.Load(g.config)
	if err != nil {
		cobra.CompDebugln(fmt.Sprintf("configuration %s: %v", g.config, err), true)
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return pick(cfg), cobra.ShellCompDirectiveNoFileComp
}
