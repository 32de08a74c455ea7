package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
	"deploy/zeo"
)

func newZEOCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "zeo",
		Short: "Check ZEO servers; status, restart and pack the ones deploy runs",
		Long: `Commands for the ZEO servers the configuration names (zeo blocks). "check" speaks
ZEO's own protocol, like zeoup.py did: an HTTP check of Zope proves nothing
about ZEO, because Zope answers from its caches while writes hang.`,
	}
	cmd.AddCommand(newZEOCheckCmd(g), newZEOStatusCmd(g), newZEORestartCmd(g), newZEOPackCmd(g))
	return cmd
}

func newZEOCheckCmd(g *globals) *cobra.Command {
	var storages []string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "check NAME|ADDRESS [--storage NAME ...]",
		Short: "Probe a ZEO server over its own protocol: storages served, last transaction, connections",
		Long: `Connect to a ZEO server, do its handshake, register each storage read-only and
ask for its last transaction, and read the server's status (connections,
waiting clients, lock time). NAME is a zeo block of the configuration (its
address and storages); ADDRESS is "host:port" or a Unix socket path, with the
storages given by --storage (default "1", ZEO's name for a single storage).
It runs on its own, without the controller, so it works during an incident.

Exit code 0 when every storage is served, 1 otherwise.`,
		Example: "  deploy zeo check main\n  deploy zeo check 127.0.0.1:8100 --storage main --storage session --json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			addr, names, err := g.zeoTarget(a[0], storages)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			rep, err := zeo.Probe(ctx, addr, names)
			if err != nil {
				return err
			}
			if g.json {
				if err := printJSON(g.stdout, rep); err != nil {
					return err
				}
			} else {
				printZEOReport(g.stdout, rep)
			}
			if !rep.OK {
				return silentError{code: exitFailed}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&storages, "storage", nil, "storage to check (repeatable; with an ADDRESS)")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "give up after this long")
	jsonFlag(cmd, g)
	return cmd
}

// zeoTarget resolves a zeo check's argument: an address, or the name of a
// zeo block in the configuration.
func (g *globals) zeoTarget(arg string, storages []string) (string, []string, error) {
	if strings.Contains(arg, ":") || strings.HasPrefix(arg, "/") {
		if len(storages) == 0 {
			storages = []string{"1"}
		}
		return arg, storages, nil
	}
	if len(storages) > 0 {
		return "", nil, usageError{errors.New("--storage goes with an ADDRESS; a NAME takes its storages from the configuration")}
	}
	cfg, err := g.loadConfig()
	if err != nil {
		return "", nil, err
	}
	z, ok := cfg.ZEOServer(arg)
	if !ok {
		return "", nil, usageError{fmt.Errorf("no zeo server named %q in %s; give its name or a host:port address", arg, cfg.File)}
	}
	return z.Address, z.Storages, nil
}

func printZEOReport(w io.Writer, rep *zeo.Report) {
	fmt.Fprintf(w, "zeo %s (protocol %s): answered in %.1fms\n", rep.Address, rep.Protocol, rep.LatencyMS)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  STORAGE\tSERVED\tLAST TRANSACTION\tCONNECTIONS\tWAITING\tLOCK TIME")
	for _, s := range rep.Storages {
		if !s.Served {
			fmt.Fprintf(tw, "  %s\tNO\t%s\t\t\t\n", s.Name, s.Error)
			continue
		}
		lock := "-"
		if s.LockTimeS > 0 {
			lock = fmt.Sprintf("%.1fs", s.LockTimeS)
		}
		fmt.Fprintf(tw, "  %s\tyes\t%s\t%d\t%d\t%s\n", s.Name, s.LastTransaction, s.Connections, s.Waiting, lock)
	}
	tw.Flush()
}

func newZEOStatusCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Show a ZEO server as the controller sees it: the probe, and for a managed server its process and packs",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			st, err := c.ZEOStatus(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			return g.printZEOStatus(st)
		},
	}
	jsonFlag(cmd, g)
	return cmd
}

func (g *globals) printZEOStatus(st *orchestrator.ZEOStatus) error {
	if g.json {
		return printJSON(g.stdout, st)
	}
	w := g.stdout
	kind := "runs outside deploy"
	if st.Managed {
		kind = "managed by deploy"
	}
	fmt.Fprintf(w, "zeo %s at %s (%s), storages %s\n", st.Name, st.Address, kind, strings.Join(st.Storages, ", "))
	if p := st.Process; p != nil {
		state := fmt.Sprintf("pid %d, up since %s", p.PID, since(p.Since))
		switch {
		case p.Failed:
			state = "FAILED: " + p.FailReason
		case !p.Running:
			state = "not running"
		}
		fmt.Fprintf(w, "  process: %s, %d restarts", state, p.Restarts)
		if p.LastExit != "" {
			fmt.Fprintf(w, ", last exit: %s", p.LastExit)
		}
		fmt.Fprintln(w)
	}
	if st.LastPack != nil {
		result := "ok"
		if !st.LastPack.OK {
			result = "FAILED: " + st.LastPack.Error
		}
		fmt.Fprintf(w, "  last pack: %s, %s\n", since(st.LastPack.Started), result)
	}
	if !st.NextPack.IsZero() {
		fmt.Fprintf(w, "  next pack: %s\n", st.NextPack.Local().Format(time.DateTime))
	}
	if st.ProbeError != "" {
		fmt.Fprintf(w, "  probe: %s\n", st.ProbeError)
		return silentError{code: exitFailed}
	}
	printZEOReport(w, st.Probe)
	if !st.Probe.OK {
		return silentError{code: exitFailed}
	}
	return nil
}

func newZEORestartCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restart NAME",
		Short: "Restart a ZEO server that deploy runs (every instance reconnects)",
		Long: `Stop a managed ZEO server (SIGTERM, so it closes its storages cleanly), start it
again with a freshly rendered zeo.conf, and wait until it serves every storage.
Every instance of every slot loses its connection meanwhile and reconnects;
requests that need the database wait or fail during that time.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			st, err := c.RestartZEO(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			return g.printZEOStatus(st)
		},
	}
	jsonFlag(cmd, g)
	return cmd
}

func newZEOPackCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pack NAME",
		Short: "Pack every storage of a ZEO server that deploy runs, now",
		Long: `Run the managed server's pack command once per storage (with STORAGE, DAYS,
ZEO_ADDRESS and ZEO_CONF in its environment), as its schedule does. Its
output goes to pack.log in the server's directory under the state dir.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.PackZEO(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, res)
			}
			fmt.Fprintf(g.stdout, "zeo %s: packed %s in %s\n", a[0], strings.Join(res.Storages, ", "), time.Duration(res.TookMS)*time.Millisecond)
			return nil
		},
	}
	jsonFlag(cmd, g)
	return cmd
}
