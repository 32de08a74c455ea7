package proxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testBackend starts a real HTTP server that answers with its name, and with
// /slow?ms=N after N milliseconds; /echo reports in X-Seen-* headers what it
// received. It returns its host:port.
func testBackend(t testing.TB, name string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			var ms int
			fmt.Sscan(r.URL.Query().Get("ms"), &ms)
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
		if r.URL.Path == "/echo" {
			w.Header().Set("X-Seen-Host", r.Host)
			w.Header().Set("X-Seen-XFF", r.Header.Get("X-Forwarded-For"))
			w.Header().Set("X-Seen-Proto", r.Header.Get("X-Forwarded-Proto"))
			w.Header().Set("X-Seen-Preview", fmt.Sprint(len(r.Header[PreviewHeader])))
		}
		io.WriteString(w, name)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// deadAddr returns a loopback address on which nothing listens.
func deadAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// testProxy serves p on a real loopback listener and returns its base URL.
func testProxy(t testing.TB, p *Proxy) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(p, ServerOptions{})
	go s.Serve(ln)
	t.Cleanup(func() { s.plain.Close() })
	return "http://" + ln.Addr().String()
}

// get sends a request with the given Host through the proxy and returns the
// status and body.
func get(t testing.TB, c *http.Client, base, host, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Host = host
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s%s (Host %s): %v", base, path, host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func mustSwitch(t testing.TB, p *Proxy, service, slot string, addrs ...string) *Drain {
	t.Helper()
	d, err := p.Switch(service, Backend{Slot: slot, Addrs: addrs})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// statusBackend starts a real HTTP server that answers its name with the
// status that status returns for its nth request (from 1), and counts them.
func statusBackend(t testing.TB, name string, status func(n int64) int) (addr string, hits *atomic.Int64) {
	t.Helper()
	hits = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status(hits.Add(1)))
		io.WriteString(w, name)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), hits
}

// always returns a status function for statusBackend that answers code.
func always(code int) func(int64) int { return func(int64) int { return code } }

// newRequest builds a request through the proxy at base with the given Host.
func newRequest(t testing.TB, method, base, host, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	return req
}

// send sends req with the default client and returns the status, the
// trimmed body and the response headers.
func send(t testing.TB, req *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s (Host %s): %v", req.Method, req.URL, req.Host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), resp.Header
}
