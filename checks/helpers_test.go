package checks

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deploy/config"
)

// testBackend starts an HTTP server on loopback and returns its host:port.
func testBackend(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// testTarget is instance 1, reached directly at addr.
func testTarget(addr string) Target {
	return Target{Label: "instance 1", Via: "direct", Addr: addr}
}

// httpCheck wraps h in a check that gets one attempt, which is what most
// rule tests want.
func httpCheck(h config.HTTPCheck) config.Check {
	return config.Check{Name: "home", HTTP: &h, Timeout: 5 * time.Second, Interval: 10 * time.Millisecond}
}

// testScript writes a shell script into a fresh directory and returns its
// path.
func testScript(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantOK(t *testing.T, r Result) {
	t.Helper()
	if !r.OK {
		t.Fatalf("want OK, got failure: %+v", r)
	}
	if !strings.HasPrefix(r.Message, "ok") {
		t.Errorf("message of a passing check = %q, want it to start with ok", r.Message)
	}
}

func wantFailure(t *testing.T, r Result, message string) {
	t.Helper()
	if r.OK {
		t.Fatalf("want failure %q, got OK: %+v", message, r)
	}
	if r.Message != message {
		t.Errorf("message = %q, want %q", r.Message, message)
	}
}
