package proxy

import (
	"net/http"
)

// gate is the first handler every request meets once net/http has parsed
// it. It tells the connection's watch that the request got through (what
// net/http refuses by itself never gets here), refuses bodies larger than
// the proxy passes on, and closes connections whose framing net/http could
// not vouch for.
type gate struct {
	proxy   *Proxy
	next    http.Handler
	maxBody int64
}

// newGate returns the gate in front of next; maxBody 0 or less means
// DefaultMaxBodySize.
func newGate(p *Proxy, next http.Handler, maxBody int64) *gate {
	if maxBody <= 0 {
		maxBody = DefaultMaxBodySize
	}
	return &gate{proxy: p, next: next, maxBody: maxBody}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if wc, ok := r.Context().Value(watchedConnKey{}).(*watchedConn); ok {
		wc.handled.Store(true)
	}
	if r.ContentLength > g.maxBody {
		g.proxy.refuseBody(w, r, g.maxBody)
		return
	}
	if unvouchedFraming(r) {
		// The request may have carried both a Content-Length and a
		// Transfer-Encoding, and net/http keeps no trace of which one it
		// dropped: a front proxy that read the other one would take what
		// follows on the connection for another request. Closing the
		// connection after the answer leaves nothing to follow (RFC 9112,
		// section 6.1). It costs the few clients that stream HTTP/1.x
		// uploads a new connection; browsers never do.
		w.Header().Set("Connection", "close")
	}
	if r.ContentLength < 0 {
		// Only a body of unknown length can grow past the limit: net/http
		// reads a declared one no further than its Content-Length.
		g.serveCapped(w, r)
		return
	}
	g.next.ServeHTTP(w, r)
}

// unvouchedFraming reports whether an HTTP/1.x request's body was framed
// by one of two headers that net/http may have had to choose between:
// chunked (a Content-Length it dropped) or HTTP/1.0 with a body (a
// Transfer-Encoding it ignored).
func unvouchedFraming(r *http.Request) bool {
	if r.ProtoMajor != 1 {
		return false
	}
	return r.ContentLength < 0 || r.ProtoMinor == 0 && r.Body != nil && r.Body != http.NoBody
}
