package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/coreos/go-systemd/v22/daemon"
)

// The controller tells systemd (Type=notify, see systemd.go) where it is in
// its life through the socket named by NOTIFY_SOCKET. Without that variable,
// as when run by hand, every notification is a no-op that returns nil.
//
// The variable is left in the environment on purpose: the controller sends
// again at each reload and at shutdown. The instance processes inherit it;
// the unit's NotifyAccess=main makes systemd ignore whatever they send.

// notifyReady says that the controller serves: the proxy listeners and the
// control socket answer. After a reload it ends the reload.
func notifyReady() error {
	return sdNotify(daemon.SdNotifyReady)
}

// notifyReloading says that a reload (SIGHUP) began; notifyReady ends it.
// The monotonic timestamp goes in the same datagram, as systemd's
// Type=notify-reload protocol wants, so that systemd can tell this reload
// from an older one.
func notifyReloading() error {
	return sdNotify(daemon.SdNotifyReloading + "\n" + daemon.SdNotifyMonotonicUsec())
}

// notifyStopping says that a shutdown began: systemd shows the unit as
// "deactivating" while in-flight requests finish.
func notifyStopping() error {
	return sdNotify(daemon.SdNotifyStopping)
}

// notifyStatus sets the one-line status "systemctl status" shows.
func notifyStatus(msg string) error {
	// One datagram holds one assignment per line.
	return sdNotify("STATUS=" + strings.ReplaceAll(msg, "\n", " "))
}

func sdNotify(state string) error {
	if _, err := daemon.SdNotify(false, state); err != nil {
		return fmt.Errorf("tell systemd %q: %w", state, err)
	}
	return nil
}

// announceReady tells the world outside that the controller serves: it
// writes the pid file and notifies systemd. Failures are logged, not fatal:
// the proxy is serving by now, and stopping it would be worse.
func announceReady(log *slog.Logger, pf *pidFile) {
	if err := pf.write(); err != nil {
		log.Error("pid file not written; logrotate cannot signal the controller", "err", err)
	}
	if err := notifyReady(); err != nil {
		log.Warn("systemd not notified", "err", err)
	}
}

// announceStopping tells systemd that the shutdown began.
func announceStopping(log *slog.Logger) {
	if err := notifyStopping(); err != nil {
		log.Warn("systemd not notified", "err", err)
	}
}
