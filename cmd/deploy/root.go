package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"deploy/config"
	"deploy/orchestrator"
)

// Exit codes, as scripts rely on them.
const (
	exitOK           = 0
	exitFailed       = 1 // the operation was refused or failed
	exitUsage        = 2 // bad flags, arguments or configuration
	exitChecksFailed = 3 // the slot failed its checks; nothing was switched
	exitRolledBack   = 4 // a release switched, then rolled itself back
	exitRefused      = 5 // deploy release only: refused (busy, migration needed, bad input)
)

// refusedExitAnnotation marks a command whose refusals and bad input exit
// with exitRefused rather than exitFailed or exitUsage, so that a pipeline
// can tell "not done, and why" from "tried and failed".
const refusedExitAnnotation = "deploy/refused-exit"

// defaultConfig is used when neither --config nor DEPLOY_CONFIG says otherwise.
const defaultConfig = "deploy.hcl"

// globals are the flags every command shares.
type globals struct {
	config string
	socket string
	// api, when its url is set, sends the commands to the TCP control
	// API instead of the socket.
	api    apiTarget
	json   bool
	stdout io.Writer
	stderr io.Writer
	// started is set once cobra has accepted the command line; an error
	// before that is the user's (unknown command, bad flag, missing flag).
	started bool
	// refusedCode, when set, is the exit code of a refused operation (and
	// of bad input), for commands whose callers must tell refused from
	// failed.
	refusedCode int
}

// usageError marks an error the user made on the command line.
type usageError struct{ error }

func execute(args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if cmd != nil && cmd.Annotations[refusedExitAnnotation] != "" {
		g.refusedCode = exitRefused
	}
	return g.report(err)
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "deploy",
		Short: "Blue/green, zero-downtime deployments behind an embedded reverse proxy",
		Long: `deploy runs each service's application in slots (blue, green, ...) on their own
ports behind an embedded reverse proxy, and switches a service's traffic from
one slot to another without dropping a request. The old slot keeps running, so
a rollback is instant.

"deploy serve" is the controller; every other command talks to it through its
control socket, found from the configuration (--config) or given by --socket.

Exit codes: 0 success, 1 operation refused or failed, 2 usage or configuration
error, 3 checks failed (nothing switched); deploy release adds 4 (switched,
then rolled back) and 5 (refused: busy, migration needed, bad input).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	def := os.Getenv("DEPLOY_CONFIG")
	if def == "" {
		def = defaultConfig
	}
	root.PersistentFlags().StringVarP(&g.config, "config", "c", def, "configuration file (env DEPLOY_CONFIG)")
	root.PersistentFlags().StringVar(&g.socket, "socket", "", "control socket of the controller (default: from the configuration)")
	root.PersistentFlags().StringVar(&g.api.url, "api", os.Getenv("DEPLOY_API"), "use the controller's TCP control API at this URL instead of the socket, such as http://127.0.0.1:9902 (env DEPLOY_API)")
	root.PersistentFlags().StringVar(&g.api.tokenFile, "api-token-file", os.Getenv("DEPLOY_API_TOKEN_FILE"), "file holding the control API's token on its first line, for --api (env DEPLOY_API_TOKEN_FILE)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newServeCmd(g), newValidateCmd(g), newUpCmd(g), newDownCmd(g),
		newSwitchCmd(g), newRollbackCmd(g), newStatusCmd(g), newHistoryCmd(g),
		newBuildCmd(g), newReleasesCmd(g), newLogsCmd(g), newExportCmd(g),
		newCheckCmd(g), newReleaseCmd(g), newMaintenanceCmd(g), newPauseCmd(g), newResumeCmd(g), newRestartCmd(g), newCacheCmd(g),
		newZEOCmd(g), newPluginsCmd(g), newReloadCmd(g), newUpgradeCmd(g),
		newSystemdUnitCmd(g), newLogrotateCmd(g), newCompletionCmd(g))
	registerCompletions(root, g)
	// cobra checks arguments and required flags just before RunE, so an
	// error from before RunE started is always a usage error.
	markStarted(root, g)
	return root
}

// markStarted wraps every command's RunE, subcommands included.
func markStarted(cmd *cobra.Command, g *globals) {
	for _, c := range cmd.Commands() {
		if run := c.RunE; run != nil {
			c.RunE = func(cmd *cobra.Command, a []string) error {
				g.started = true
				return run(cmd, a)
			}
		}
		markStarted(c, g)
	}
}

// jsonFlag adds --json to commands that can print machine-readable output.
func jsonFlag(cmd *cobra.Command, g *globals) {
	cmd.Flags().BoolVar(&g.json, "json", false, "print the result as JSON")
}

// args wraps a cobra argument check so that its failure is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{fmt.Errorf("%w\nsee: %s --help", err, cmd.CommandPath())}
		}
		return nil
	}
}

// loadConfig loads the configuration, printing every diagnostic on failure.
func (g *globals) loadConfig() (*config.Config, error) {
	cfg, diags, err := config.Load(g.config)
	if diags != nil && len(diags.Diags) > 0 {
		diags.Write(g.stderr, false)
	}
	if err != nil {
		var d *config.Diagnostics
		if errors.As(err, &d) {
			return nil, configError{fmt.Errorf("configuration %s has errors", g.config)}
		}
		return nil, configError{err}
	}
	return cfg, nil
}

// silentError ends a command whose outcome was printed already, with an
// exit code of its own.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// configError is a configuration problem whose details were already printed.
type configError struct{ error }

// client returns a client of the controller named by --api, --socket or the
// config.
func (g *globals) client() (*orchestrator.Client, error) {
	if g.api.url != "" {
		if g.socket != "" {
			return nil, usageError{errors.New("--socket and --api (or DEPLOY_API) name two ways to the controller; give one")}
		}
		return g.api.client()
	}
	if g.socket != "" {
		return orchestrator.NewClient(g.socket), nil
	}
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	return orchestrator.NewClient(cfg.Controller.Socket), nil
}

// exitCode is the exit code of an operation's failure.
func (g *globals) exitCode(k orchestrator.Kind) int {
	switch k {
	case orchestrator.KindChecksFailed:
		return exitChecksFailed
	case orchestrator.KindRolledBack:
		return exitRolledBack
	case orchestrator.KindInvalid, orchestrator.KindNotFound:
		if g.refusedCode != 0 {
			return g.refusedCode
		}
		return exitUsage
	case orchestrator.KindBusy, orchestrator.KindRefused:
		if g.refusedCode != 0 {
			return g.refusedCode
		}
	}
	return exitFailed
}

// report prints an error the way the user needs it and picks the exit code.
func (g *globals) report(err error) int {
	var ue usageError
	var ce configError
	var oe *orchestrator.Error
	var se silentError
	code := exitFailed
	switch {
	case errors.As(err, &se):
		return se.code
	case !g.started, errors.As(err, &ue), errors.As(err, &ce):
		code = exitUsage
		if g.refusedCode != 0 {
			code = g.refusedCode
		}
	case errors.As(err, &oe):
		code = g.exitCode(oe.Kind)
		if g.json {
			printJSON(g.stdout, oe)
		}
		fmt.Fprintf(g.stderr, "deploy: %s\n", oe.Message)
		if oe.Hint != "" {
			fmt.Fprintf(g.stderr, "  what to do: %s\n", oe.Hint)
		}
		return code
	}
	fmt.Fprintf(g.stderr, "deploy: %v\n", err)
	return code
}
