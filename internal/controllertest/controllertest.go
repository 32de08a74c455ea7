// Package controllertest is test support: the real parts a controller is
// made of, on a real configuration file and state directory, for tests that
// need a controller with nothing started. It does not make the controller
// itself, so that the orchestrator's own tests can use it too.
package controllertest

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"deploy/config"
	"deploy/proxy"
	"deploy/stacks/release"
	"deploy/state"
)

// Parts are what orchestrator.New takes.
type Parts struct {
	Config   *config.Config
	Store    *state.Dir
	Releases *release.Store
	Proxy    *proxy.Proxy
	Log      *slog.Logger
}

// New writes a configuration of one service "demo" (host demo.test, slots
// blue and green from basePort and basePort+100, a stack that runs "true")
// and opens its state directory and release store in a temporary directory.
func New(t *testing.T, basePort int) Parts {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "deploy.hcl")
	hcl := fmt.Sprintf(`
service "demo" {
  hosts = ["demo.test"]
  slot "blue"  { base_port = %d }
  slot "green" { base_port = %d }
  stack { command = ["true"] }
}
`, basePort, basePort+100)
	if err := os.WriteFile(path, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	store, err := state.OpenDir(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	releases, err := release.OpenStore(filepath.Join(dir, "releases"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return Parts{Config: cfg, Store: store, Releases: releases, Proxy: proxy.New(proxy.Options{Logger: log}), Log: log}
}
