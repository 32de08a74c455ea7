package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// dyingBackend is a real HTTP server that takes every request and drops
// its connection without an answer, as an instance killed mid-request does;
// it counts the requests it took.
func dyingBackend(t *testing.T) (addr string, took *atomic.Int64) {
	t.Helper()
	took = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		took.Add(1)
		io.Copy(io.Discard, r.Body)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), took
}

func TestRetry_AReadCutBeforeItsAnswerIsSentOnceMoreToASibling(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	dying, took := dyingBackend(t)
	mustSwitch(t, p, "a", "blue", dying, testBackend(t, "sibling"))
	base := testProxy(t, p)

	for range 6 {
		if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != "sibling" {
			t.Fatalf("GET while one instance drops its requests: %d %q, want the sibling's answer", code, body)
		}
	}
	if took.Load() == 0 {
		t.Fatalf("the dying instance took no request; the test proves nothing")
	}

	// A POST may have done its work before the connection dropped: it is
	// not sent twice, and its client learns that it failed.
	var failed int
	for range 6 {
		code, _, _ := send(t, newRequest(t, http.MethodPost, base, "a.example", "/"))
		if code == http.StatusBadGateway {
			failed++
		}
	}
	if failed == 0 {
		t.Errorf("no POST reached the dying instance's 502; round robin should have sent some there")
	}
}
