package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
)

// The requests that net/http refuses by itself never reach a handler: it
// answers a malformed request (400), headers over MaxHeaderBytes (431), an
// Expect it does not know (417), a transfer coding it does not support
// (501) or an HTTP version it does not speak (505) on its own, and closes without a word a
// connection whose request headers did not arrive within
// ReadHeaderTimeout. Its ErrorLog hears of none of it. The watch below sees
// it from the connection's side, on plain-HTTP connections, and logs each
// such event as one line at Info: the clients' mistakes, not the proxy's,
// but what an operator looks for when a visitor says the site refused them.
//
// Not logged: connections that send nothing before the timeout (browsers
// open spare ones), clients that hang up mid-headers, and everything inside
// TLS connections, which the watch only sees encrypted; for those the
// error log has net/http's TLS handshake errors at Debug (errorlog.go).

// watchedListener hands the server watched connections. A TLS connection
// (from a listener that tls.NewListener made) is handed over as it is:
// net/http must see the *tls.Conn to serve TLS, and the watch could only
// read it encrypted.
type watchedListener struct {
	net.Listener
	log *slog.Logger
}

func (l *watchedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if _, isTLS := c.(*tls.Conn); isTLS {
		return c, nil
	}
	return &watchedConn{Conn: c, log: l.log}, nil
}

// watchedConn is a client connection that notices what net/http does with
// a request that never reaches the handler.
type watchedConn struct {
	net.Conn
	log *slog.Logger
	// handled is set by the gate when the request being answered reached
	// it, and cleared when the connection waits for the next request.
	handled atomic.Bool
	// readSinceIdle counts the bytes read since the connection opened or
	// last went idle: while handled is false, those of a request begun.
	readSinceIdle atomic.Int64
}

// responsePrefix starts the status line net/http writes; before the gate
// handled the request, it can only start a refusal.
var responsePrefix = []byte("HTTP/1.")

func (c *watchedConn) Write(b []byte) (int, error) {
	if !c.handled.Load() && bytes.HasPrefix(b, responsePrefix) {
		c.logRefusal(b)
	}
	return c.Conn.Write(b)
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	total := c.readSinceIdle.Add(int64(n))
	var ne net.Error
	if err != nil && total > 0 && !c.handled.Load() && errors.As(err, &ne) && ne.Timeout() {
		// A timeout while the gate has not had the request: the headers
		// begun did not arrive in time. (net/http's own deadline tricks,
		// which end its background reads, happen while a request is
		// handled.)
		c.readSinceIdle.Store(0)
		c.log.Info("client connection closed: its request headers did not arrive in time",
			"remote", clientIP(c.RemoteAddr().String()), "bytes", total)
	}
	return n, err
}

// CloseWrite passes on the half-close with which net/http lets a client
// read a 431 before the connection closes; without it the client could get
// a reset instead of the answer.
func (c *watchedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// logRefusal logs the status line of a refusal net/http wrote, such as
// "HTTP/1.1 400 Bad Request: malformed Host header". Its words are
// net/http's own, never the client's.
func (c *watchedConn) logRefusal(b []byte) {
	line, _, _ := bytes.Cut(b, []byte("\r\n"))
	_, rest, _ := bytes.Cut(line, []byte(" "))
	code, reason, _ := bytes.Cut(rest, []byte(" "))
	status, _ := strconv.Atoi(string(code))
	c.log.Info("client request refused before routing", "remote", clientIP(c.RemoteAddr().String()),
		"status", status, "reason", string(reason))
}

// watchedConnKey finds a request's watched connection in its context.
type watchedConnKey struct{}

// watchedConnContext is the server's ConnContext: it lets the gate find
// the watched connection of its request.
func watchedConnContext(ctx context.Context, c net.Conn) context.Context {
	if wc, ok := c.(*watchedConn); ok {
		return context.WithValue(ctx, watchedConnKey{}, wc)
	}
	return ctx
}

// watchConnState is the server's ConnState: a connection that goes idle
// has answered its request, and what it reads next is a new one.
func watchConnState(c net.Conn, s http.ConnState) {
	if wc, ok := c.(*watchedConn); ok && s == http.StateIdle {
		wc.handled.Store(false)
		wc.readSinceIdle.Store(0)
	}
}
