package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"deploy/config"
	"deploy/internal/logfile"
	"deploy/orchestrator"
	"deploy/proxy"
	"deploy/stacks/release"
	"deploy/state"
)

// shutdownTimeout bounds how long a stopping controller waits for in-flight
// proxied requests.
const shutdownTimeout = 30 * time.Second

type serveCmd struct {
	g          *globals
	stopStacks bool
	logLevel   string
	logFile    string
	pidFile    string
}

func newServeCmd(g *globals) *cobra.Command {
	s := &serveCmd{g: g}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the controller: the proxy, the slots' processes and the control socket",
		Long: `Run the controller in the foreground. It opens the state directory, adopts the
instance processes a previous controller left running, routes every service to
the slot that was live, then serves the proxy listeners and the control socket.

With https_listen in the proxy block it also serves HTTPS (HTTP/2, TLS 1.2 and
later) with certificates it obtains and renews itself from the configured ACME
CA, or from a local development CA, or from a service's own tls pair; they are
kept in <state_dir>/tls. "deploy status" shows each host's certificate.

With --log-file the log goes to a file; SIGUSR2 makes the controller reopen it
after logrotate moved it away. Instance logs are rotated by the controller
itself (see the stack's log block). "deploy logrotate" prints the logrotate
configuration.

Once it serves it writes --pid-file, if given (refusing one that names another
controller still running), and tells systemd READY=1 when NOTIFY_SOCKET is set
("deploy systemd-unit" prints a unit).

SIGTERM or Ctrl-C stops it gracefully: it stops accepting, lets in-flight
requests finish, and leaves the instance processes running for the next
controller to adopt (unless --stop-stacks).`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return s.run(cmd.Context()) },
	}
	cmd.Flags().BoolVar(&s.stopStacks, "stop-stacks", false, "stop every slot's processes on shutdown (they start again with the next controller)")
	cmd.Flags().StringVar(&s.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().StringVar(&s.logFile, "log-file", "", "write the controller's log to this file instead of stderr (SIGUSR2 reopens it, for logrotate)")
	cmd.Flags().StringVar(&s.pidFile, "pid-file", "", "write the controller's process id to this file once it serves; removed at a clean stop")
	return cmd
}

func (s *serveCmd) run(ctx context.Context) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level %q: use debug, info, warn or error", s.logLevel)}
	}
	var out io.Writer = s.g.stderr
	var lf *logfile.File
	if s.logFile != "" {
		var err error
		if lf, err = logfile.Open(s.logFile); err != nil {
			return err
		}
		defer lf.Close()
		out = lf
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	upg, err := newUpgrader()
	if err != nil {
		return err
	}
	defer upg.Stop()
	// A successor takes over from the controller that started it (deploy
	// upgrade): that one still holds the state directory and the pid file.
	successor := upg.HasParent()
	predecessor := 0
	if successor {
		predecessor = os.Getppid()
	}
	pf, err := claimPIDFile(s.pidFile, predecessor)
	if err != nil {
		return err
	}
	defer pf.remove()
	cfg, err := s.g.loadConfig()
	if err != nil {
		return err
	}
	p := proxy.New(proxy.Options{TrustedProxies: cfg.Proxy.TrustedProxies, HealthPath: cfg.Proxy.HealthPath, Logger: log})
	var ctrl *orchestrator.Controller
	var store *state.Dir
	if successor {
		ctrl, err = orchestrator.NewSuccessor(cfg, p, log)
	} else {
		var releases *release.Store
		if store, releases, err = openState(cfg); err != nil {
			return err
		}
		defer store.Close()
		ctrl, err = orchestrator.New(cfg, store, releases, p, log)
	}
	if err != nil {
		return err
	}
	// SIGHUP reloads the configuration once the controller is ready; until
	// then it waits in the channel rather than ending the process, which
	// is SIGHUP's default.
	hangup := make(chan os.Signal, 1)
	signal.Notify(hangup, syscall.SIGHUP)
	defer signal.Stop(hangup)
	// SIGUSR2 (logrotate's postrotate) reopens the controller's log file and
	// tells the managed ZEO servers to reopen theirs.
	reopen := make(chan os.Signal, 1)
	signal.Notify(reopen, syscall.SIGUSR2)
	defer signal.Stop(reopen)
	go func() {
		for range reopen {
			if lf != nil {
				if err := lf.Reopen(); err != nil {
					fmt.Fprintf(s.g.stderr, "deploy: %v\n", err)
				}
			}
			ctrl.ReopenLogs()
		}
	}()
	// Listeners first: a port taken by someone else fails the start before
	// anything is adopted or restarted.
	listeners, err := listenAll(cfg.Proxy.Listen)
	if err != nil {
		return err
	}
	tlsListeners, err := listenAll(cfg.Proxy.HTTPSListen)
	if err != nil {
		closeAll(listeners)
		return err
	}
	listeners = append(listeners, tlsListeners...)
	metrics, err := listenMetrics(cfg.Controller.Metrics, ctrl, p, log)
	if err != nil {
		closeAll(listeners)
		return err
	}
	page, err := listenWeb(ctx, cfg.Controller.Web, ctrl, log)
	if err != nil {
		closeAll(listeners)
		closeSides(nonNil(metrics))
		return err
	}
	tcpAPI, err := listenAPI(cfg.Controller.API, ctrl, log)
	if err != nil {
		closeAll(listeners)
		closeSides(nonNil(metrics, page))
		return err
	}
	sides := nonNil(metrics, page, tcpAPI)
	srv := proxy.NewServer(p, ctrl.ServerOptions())
	errc := make(chan error, len(listeners)+len(sides)+1)
	if successor {
		// Serve at once, as the state says, while the old controller
		// finishes; then take the state directory and the instances over.
		store, err = takeOver(ctx, upg, ctrl, cfg, func() { serveProxy(srv, listeners, len(cfg.Proxy.Listen), errc, log) }, log)
		if err != nil {
			closeSides(sides)
			return err
		}
		defer store.Close()
	} else if err := ctrl.Restore(ctx); err != nil {
		closeAll(listeners)
		closeSides(sides)
		return fmt.Errorf("restore state: %w", err)
	}
	control, err := orchestrator.ListenSocket(cfg.Controller.Socket)
	if err != nil {
		closeAll(listeners)
		closeSides(sides)
		return err
	}
	api := orchestrator.NewControlServer(orchestrator.NewAPI(ctrl))
	for _, side := range sides {
		side.serve(errc, log)
	}
	if !successor {
		serveProxy(srv, listeners, len(cfg.Proxy.Listen), errc, log)
	}
	go func() {
		if err := api.Serve(control); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	ctrl.SetUpgrade(successorStarter(upg))
	defer upgradeOnSignal(ctrl, log)()
	log.Info("controller ready", "config", cfg.File, "state_dir", cfg.Controller.StateDir, "socket", cfg.Controller.Socket)
	if !successor { // a successor said so as soon as it served
		if err := upg.Ready(); err != nil {
			log.Warn("upgrades are not possible", "err", err)
		}
	}
	announceReady(log, pf)

	go reloadOnHangup(ctrl, hangup, log)
	var serveErr error
	stopStacks, handingOver := s.stopStacks, false
	select {
	case <-ctx.Done():
		log.Info("shutting down", "stop_stacks", s.stopStacks)
		announceStopping(log)
	case <-upg.Exit():
		// A successor serves: the instances are its to adopt.
		log.Info("handing over to the new controller; finishing in-flight requests")
		stopStacks, handingOver = false, true
	case serveErr = <-errc:
		log.Error("listener failed; shutting down", "err", serveErr)
		announceStopping(log)
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	api.Shutdown(sctx)
	for _, side := range sides {
		side.shutdown(sctx)
	}
	if handingOver {
		err = srv.Handover(sctx, handoverGrace)
	} else {
		err = srv.Shutdown(sctx)
	}
	if err != nil {
		log.Warn("in-flight requests cut at shutdown", "err", err)
	}
	ctrl.Shutdown(sctx, stopStacks)
	os.Remove(cfg.Controller.Socket)
	log.Info("stopped")
	return serveErr
}

// openState locks the state directory and opens the release store.
func openState(cfg *config.Config) (*state.Dir, *release.Store, error) {
	store, err := state.OpenDir(cfg.Controller.StateDir)
	if err != nil {
		return nil, nil, err
	}
	releases, err := release.OpenStore(cfg.Controller.ReleasesDir)
	if err == nil {
		// The state lock is ours: nobody else is building or importing.
		err = releases.Sweep()
	}
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, releases, nil
}

// serveProxy serves the proxy on its listeners: plain ones first, then
// nPlain on, TLS ones.
func serveProxy(srv *proxy.Server, listeners []net.Listener, nPlain int, errc chan<- error, log *slog.Logger) {
	for i, ln := range listeners {
		serve, scheme := srv.Serve, "http"
		if i >= nPlain {
			serve, scheme = srv.ServeTLS, "https"
		}
		go func() { errc <- serve(ln) }()
		log.Info("proxy listening", "addr", ln.Addr().String(), "scheme", scheme)
	}
}

// listenAll opens every address, or none.
func listenAll(addrs []string) ([]net.Listener, error) {
	var ls []net.Listener
	for _, addr := range addrs {
		ln, err := listen("tcp", addr)
		if err != nil {
			closeAll(ls)
			return nil, fmt.Errorf("proxy listener: %w", err)
		}
		ls = append(ls, ln)
	}
	return ls, nil
}

func closeAll(ls []net.Listener) {
	for _, l := range ls {
		l.Close()
	}
}
