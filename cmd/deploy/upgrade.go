package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cloudflare/tableflip"
	"github.com/spf13/cobra"

	"deploy/config"
	"deploy/orchestrator"
	"deploy/state"
)

// upgradeTimeout bounds how long a successor may take to serve; past it the
// upgrade fails and the running controller goes on as before.
const upgradeTimeout = 2 * time.Minute

// handoverGrace is how long the old controller keeps a kept-alive
// connection open for its client's next request, answered with
// Connection: close, before closing it idle (as nginx closes its idle
// connections at a graceful stop).
const handoverGrace = 5 * time.Second

// listen opens the controller's TCP listeners. Under deploy serve it is the
// upgrader's, which hands the listeners down to a successor and, in a
// successor, takes them over from the controller it replaces: the kernel
// keeps each socket open and queuing connections throughout, so no client is
// refused while the binary or the controller is replaced.
var listen = net.Listen

// newUpgrader prepares the hand-over of the listeners (cloudflare/tableflip,
// as nginx and haproxy do it with inherited sockets).
func newUpgrader() (*tableflip.Upgrader, error) {
	upg, err := tableflip.New(tableflip.Options{UpgradeTimeout: upgradeTimeout})
	if err != nil {
		return nil, fmt.Errorf("prepare upgrades: %w", err)
	}
	listen = func(network, addr string) (net.Listener, error) {
		if ln, err := upg.Listener(network, addr); err != nil || ln != nil {
			return ln, err // inherited from the controller this one succeeds
		}
		// Opened here rather than by upg.Listen, whose error drops the
		// system's words ("bind: address already in use").
		ln, err := net.Listen(network, addr)
		if err != nil {
			return nil, err
		}
		if err := upg.AddListener(network, addr, ln.(tableflip.Listener)); err != nil {
			ln.Close()
			return nil, fmt.Errorf("listen %s %s: keep for upgrades: %w", network, addr, err)
		}
		return ln, nil
	}
	return upg, nil
}

// upgradeOnSignal starts an upgrade for each SIGUSR1, as the control API's
// upgrade does.
func upgradeOnSignal(ctrl *orchestrator.Controller, log *slog.Logger) (stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		for range sig {
			if _, err := ctrl.Upgrade(context.Background(), orchestrator.UpgradeRequest{Actor: "SIGUSR1"}); err != nil {
				log.Error("upgrade on SIGUSR1 failed", "err", err)
			}
		}
	}()
	return func() { signal.Stop(sig) }
}

// successorStarter is how the controller starts its successor: the new
// process runs the binary now at this path (replaced by a package upgrade,
// say) with the same arguments, and Upgrade returns once it serves.
func successorStarter(upg *tableflip.Upgrader) func() error {
	return func() error {
		if err := upg.Upgrade(); err != nil {
			return fmt.Errorf("the new controller did not start serving: %w", err)
		}
		return nil
	}
}

func newUpgradeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "upgrade",
		Short: "Replace the running controller by a new one of the installed binary, without failing a request",
		Long: `Start a new "deploy serve" from the binary now installed (after a package
upgrade, say) with the same arguments, and hand it the proxy's listening
sockets: it routes at once to the live slots the state records, while the
old controller finishes the requests it was serving and exits. The new one
then adopts the instances, which keep running throughout. No connection is
refused and no request fails.

Every service is held busy from the start to the end of the hand-over. If
the new controller does not serve within 2 minutes, the old one goes on as
before. SIGUSR1 to the controller does the same. This is also how to restart
the controller without a gap: systemctl restart closes the listening
sockets for a moment.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.Upgrade(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "controller %d handed over to a new controller, which serves; %d finishes its requests and exits\n", res.OldPID, res.OldPID)
			// The successor opens the control socket once the old
			// controller has gone: wait for it, so that the next command
			// finds it.
			deadline := time.Now().Add(upgradeTimeout)
			for {
				info, err := c.Controller(cmd.Context())
				if err == nil && info.PID != res.OldPID {
					fmt.Fprintf(g.stdout, "controller %d answers on the control socket\n", info.PID)
					return nil
				}
				if time.Now().After(deadline) {
					return errors.New("the new controller does not answer on the control socket yet; see its log")
				}
				time.Sleep(100 * time.Millisecond)
			}
		},
	}
}

// takeOver is a successor's start: it serves the proxy at once, routed as
// the state says, tells systemd that it is the service's main process now
// and its predecessor that it serves, waits until the predecessor has
// finished its requests and gone, and then takes the state directory and
// the instances over.
func takeOver(ctx context.Context, upg *tableflip.Upgrader, ctrl *orchestrator.Controller, cfg *config.Config, serve func(), log *slog.Logger) (*state.Dir, error) {
	snap, err := state.ReadSnapshot(cfg.Controller.StateDir)
	if err != nil {
		return nil, err
	}
	if err := ctrl.ServeAsRecorded(snap); err != nil {
		return nil, err
	}
	serve()
	if err := sdNotify(fmt.Sprintf("MAINPID=%d", os.Getpid())); err != nil {
		log.Warn("systemd not told the new main process", "err", err)
	}
	if err := upg.Ready(); err != nil {
		return nil, fmt.Errorf("tell the old controller: %w", err)
	}
	log.Info("serving as recorded; waiting for the old controller to finish")
	if err := upg.WaitForParent(ctx); err != nil {
		return nil, fmt.Errorf("wait for the old controller: %w", err)
	}
	store, releases, err := openState(cfg)
	if err != nil {
		return nil, err
	}
	ctrl.TakeOver(store, releases)
	if err := ctrl.Restore(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("restore state: %w", err)
	}
	log.Info("took over from the old controller")
	return store, nil
}
