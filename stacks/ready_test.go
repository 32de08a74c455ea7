package stacks

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitReady_ReportsTheLastProbeErrorWhenTheContextEnds(t *testing.T) {
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := WaitReady(ctx, port, "healthz")
	if err == nil {
		t.Fatal("WaitReady succeeded with nothing listening")
	}
	t.Logf("WaitReady: %v", err)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %q does not wrap the context's error", err)
	}
	if !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "/healthz") {
		t.Errorf("error %q does not carry the last probe error", err)
	}
}

func TestWaitReady_SucceedsOnceTheServerAnswers(t *testing.T) {
	var calls atomic.Int32
	port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, "warming up", http.StatusServiceUnavailable)
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := WaitReady(ctx, port, "/ready"); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	if calls.Load() < 3 {
		t.Errorf("ready after %d probes, want the 503s waited out", calls.Load())
	}
}

func TestProbe_AcceptsRedirectsWithoutFollowingThemAndRejectsErrors(t *testing.T) {
	var followed atomic.Bool
	var conns atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/target", http.StatusFound)
	})
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) {
		followed.Store(true)
		http.Error(w, "no", http.StatusInternalServerError)
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	})
	port := serveWithConnState(t, mux, func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	})
	ctx := context.Background()
	if err := Probe(ctx, port, "/moved"); err != nil || followed.Load() {
		t.Errorf("Probe(/moved) = %v, followed = %v; want success without following", err, followed.Load())
	}
	err := Probe(ctx, port, "/broken")
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("Probe(/broken) = %v, want an error naming the 503", err)
	}
	if err := Probe(ctx, port, "/moved"); err != nil {
		t.Error(err)
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("3 probes used %d connections, want one each (no keep-alive)", n)
	}
}

func serve(t *testing.T, h http.Handler) int {
	return serveWithConnState(t, h, nil)
}

func serveWithConnState(t *testing.T, h http.Handler, cs func(net.Conn, http.ConnState)) int {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = cs
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}
