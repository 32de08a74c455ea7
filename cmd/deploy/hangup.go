package main

import (
	"context"
	"log/slog"
	"os"

	"deploy/orchestrator"
)

// reloadOnHangup reloads the configuration for each SIGHUP received on hup,
// as systemctl reload asks with ExecReload. The outcome goes to the log,
// since nobody waits for an answer; a reload refused leaves the running
// configuration in force.
func reloadOnHangup(ctrl *orchestrator.Controller, hup <-chan os.Signal, log *slog.Logger) {
	for range hup {
		if err := notifyReloading(); err != nil {
			log.Warn("systemd not notified", "err", err)
		}
		res, err := ctrl.Reload(context.Background(), orchestrator.ReloadRequest{Actor: "SIGHUP"})
		// systemd waits for READY=1 to end the reload, refused or not.
		if err := notifyReady(); err != nil {
			log.Warn("systemd not notified", "err", err)
		}
		if err != nil {
			log.Error("reload refused; the running configuration stays in force", "err", err)
			continue
		}
		if res.Warnings != "" {
			log.Warn("configuration warnings", "warnings", res.Warnings)
		}
		log.Info("reloaded on SIGHUP", "file", res.File, "summary", reloadSummary(res))
	}
}
