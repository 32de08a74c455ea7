package proxy

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// handoverPoll is how often Handover looks at the open connections.
const handoverPoll = 10 * time.Millisecond

// handover follows the connections of a Server so that it can end without
// cutting a request: Shutdown alone closes idle keep-alive connections at
// once, and a client whose next request was already on its way on one of
// them gets nothing back.
type handover struct {
	started atomic.Bool  // Handover began: answers close their connections
	open    atomic.Int64 // connections accepted and not yet closed

	mu        sync.Mutex
	listeners []net.Listener
}

// listening records a listener that Handover must close.
func (h *handover) listening(ln net.Listener) net.Listener {
	h.mu.Lock()
	h.listeners = append(h.listeners, ln)
	h.mu.Unlock()
	return ln
}

// track counts a connection's life; chained after the server's own hook.
func (h *handover) track(next func(net.Conn, http.ConnState)) func(net.Conn, http.ConnState) {
	return func(c net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			h.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			h.open.Add(-1)
		}
		if next != nil {
			next(c, st)
		}
	}
}

// closing makes every answer given during a hand-over close its
// connection (HTTP/1.1: Connection: close; HTTP/2: GOAWAY), so that the
// client's next request opens a new connection, which the successor
// accepts.
func (h *handover) closing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.started.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// Handover ends a Server whose listening sockets a successor took over
// (deploy upgrade). It stops accepting; every request that still arrives on
// an open connection is answered and its connection closed after the
// answer; connections that stay idle are closed once grace has passed. Then
// it shuts down like Shutdown, waiting for in-flight requests until ctx
// ends.
func (s *Server) Handover(ctx context.Context, grace time.Duration) error {
	h := &s.handover
	h.started.Store(true)
	h.mu.Lock()
	for _, ln := range h.listeners {
		// The successor holds the same sockets: they stay open.
		ln.Close()
	}
	h.mu.Unlock()
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	tick := time.NewTicker(handoverPoll)
	defer tick.Stop()
	for h.open.Load() > 0 {
		select {
		case <-deadline.C:
			return s.Shutdown(ctx)
		case <-ctx.Done():
			return s.Shutdown(ctx)
		case <-tick.C:
		}
	}
	return s.Shutdown(ctx)
}
