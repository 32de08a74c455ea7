// Command zeostandin runs the zeotest stand-in ZEO server in the foreground.
// It stands in for a real ZEO server where the controller supervises one:
// it logs to a file, reopens that file on SIGUSR2 (as ZEO does when its log
// is rotated) and exits 0 on SIGTERM. Tests build it with `go build`.
//
//	zeostandin -addr 127.0.0.1:8100 -protocol M5 -storages main,session -log FILE
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"deploy/zeo/zeotest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "zeostandin:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("zeostandin", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8100", "address to listen on, host:port or an absolute Unix socket path")
	protocol := fs.String("protocol", "M5", "protocol to speak: M5 (msgpack) or Z5 (pickle)")
	storages := fs.String("storages", "1", "comma-separated names of the storages to serve")
	logPath := fs.String("log", "", "log file, reopened on SIGUSR2 (standard error when empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	out, err := openLog(*logPath)
	if err != nil {
		return err
	}
	defer out.Close()
	log := slog.New(slog.NewTextHandler(out, nil))

	// Signals are caught before the server listens so that a supervisor
	// that signals right after seeing the start line is never too early.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR2)

	names := splitNames(*storages)
	srv, err := zeotest.Start(*protocol, *addr, names...)
	if err != nil {
		return err
	}
	srv.OnConnect(func(remote string) { log.Info("connection", "remote", remote) })
	log.Info("zeo stand-in started", "addr", srv.Addr(), "protocol", *protocol,
		"storages", strings.Join(names, ","), "pid", os.Getpid())

	for sig := range sigs {
		if sig == syscall.SIGUSR2 {
			if err := out.Reopen(); err != nil {
				fmt.Fprintln(os.Stderr, "zeostandin: reopen log:", err)
				continue
			}
			log.Info("log reopened")
			continue
		}
		log.Info("stopping", "signal", sig.String())
		break
	}
	return srv.Close()
}

func splitNames(s string) []string {
	var names []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}
