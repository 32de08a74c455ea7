package proxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingBackend is a real backend that counts the connections it accepted.
func countingBackend(t *testing.T, h http.HandlerFunc, configure func(*http.Server)) (addr string, conns *atomic.Int64) {
	t.Helper()
	conns = &atomic.Int64{}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	if configure != nil {
		configure(srv.Config)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), conns
}

func leanProxy(t *testing.T, addr string) string {
	t.Helper()
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", addr)
	return testProxy(t, p)
}

func TestUpstream_ReusesKeepAliveConnections(t *testing.T) {
	addr, conns := countingBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "blue") }, nil)
	base := leanProxy(t, addr)
	for range 50 {
		if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != "blue" {
			t.Fatalf("got %d %q", code, body)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("50 sequential requests opened %d backend connections, want 1", n)
	}
}

func TestUpstream_ConnectionClosedByTheInstanceIsReplacedWithoutAnError(t *testing.T) {
	addr, conns := countingBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "blue") },
		func(s *http.Server) { s.IdleTimeout = 20 * time.Millisecond })
	base := leanProxy(t, addr)
	for i := range 5 {
		if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != "blue" {
			t.Fatalf("request %d after the instance closed the idle connection: %d %q", i, code, body)
		}
		time.Sleep(60 * time.Millisecond)
	}
	if n := conns.Load(); n < 5 {
		t.Fatalf("the instance closed idle connections but only %d were opened", n)
	}
}

func TestUpstream_LargeBodiesAndHeadRequests(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 16<<10) // 256 KiB
	addr, _ := countingBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", "blue")
		io.WriteString(w, big)
	}, nil)
	base := leanProxy(t, addr)
	for range 3 {
		if code, body := get(t, http.DefaultClient, base, "a.example", "/big"); code != 200 || body != big {
			t.Fatalf("256 KiB body: %d, %d bytes", code, len(body))
		}
		req, _ := http.NewRequest(http.MethodHead, base+"/big", nil)
		req.Host = "a.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-Backend") != "blue" {
			t.Fatalf("HEAD: %d %v", resp.StatusCode, resp.Header)
		}
	}
}

func TestUpstream_EarlyHintsAreSkippedForTheFinalResponse(t *testing.T) {
	addr, _ := countingBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "final")
	}, nil)
	if code, body := get(t, http.DefaultClient, leanProxy(t, addr), "a.example", "/"); code != 200 || body != "final" {
		t.Fatalf("got %d %q", code, body)
	}
}

func TestUpstream_ClientThatGoesAwayFreesTheRequestAndTheConnection(t *testing.T) {
	release := make(chan struct{})
	addr, conns := countingBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		io.WriteString(w, "blue")
	}, nil)
	defer close(release)
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", addr)
	base := testProxy(t, p)

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/hang", nil)
	req.Host = "a.example"
	go func() {
		waitFor(t, func() bool { return p.InFlight("a", "blue") == 1 })
		cancel()
	}()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	waitFor(t, func() bool { return p.InFlight("a", "blue") == 0 })

	// The cut connection is not reused: the next request works on a new one.
	if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != "blue" {
		t.Fatalf("after a cancelled request: %d %q", code, body)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d backend connections, want 2 (the cut one was not reused)", n)
	}
}

func TestUpstream_ResponsesWithConnectionCloseAreNotReused(t *testing.T) {
	addr, conns := countingBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "blue")
	}, nil)
	base := leanProxy(t, addr)
	for range 3 {
		if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != "blue" {
			t.Fatalf("got %d %q", code, body)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Fatalf("%d backend connections for 3 Connection: close answers, want 3", n)
	}
}
