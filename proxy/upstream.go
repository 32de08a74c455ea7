package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Sizes of an upstream connection's buffers.
const (
	upstreamReadBuffer  = 16 << 10
	upstreamWriteBuffer = 4 << 10
)

// upstream is a pool of keep-alive HTTP/1.1 connections to one instance,
// used for plain reads (GET and HEAD without a body or an upgrade): the
// request is written and the response read on the calling goroutine, which
// spares the two goroutine hand-offs per request of http.Transport. Anything
// else goes through http.Transport, which handles every corner of HTTP.
type upstream struct {
	addr   string
	dialer *net.Dialer

	mu   sync.Mutex
	idle []*upstreamConn
}

type upstreamConn struct {
	conn     net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	idleFrom time.Time
}

func newUpstream(addr string) *upstream {
	return &upstream{addr: addr, dialer: &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}}
}

// leanEligible reports whether a request can take the lean path.
func leanEligible(req *http.Request) bool {
	return (req.Method == http.MethodGet || req.Method == http.MethodHead) &&
		(req.Body == nil || req.Body == http.NoBody) &&
		req.Header.Get("Upgrade") == "" && req.Header.Get("Expect") == ""
}

// roundTrip sends a lean-eligible request. A reused connection that turns out
// to be closed by the instance (its keep-alive timeout raced us) is replaced
// by a fresh one once: the request is a read, so sending it again is safe.
func (u *upstream) roundTrip(req *http.Request) (*http.Response, error) {
	c, reused, err := u.get(req.Context())
	if err != nil {
		return nil, err
	}
	resp, err := u.exchange(c, req)
	if err != nil && reused && req.Context().Err() == nil {
		if c, err = u.dial(req.Context()); err != nil {
			return nil, err
		}
		resp, err = u.exchange(c, req)
	}
	return resp, err
}

// exchange writes the request and reads the response head on c. The
// connection stays bound to the response body until that is read or closed.
func (u *upstream) exchange(c *upstreamConn, req *http.Request) (*http.Response, error) {
	stop := context.AfterFunc(req.Context(), func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	if err := req.Write(c.bw); err != nil {
		stop()
		c.conn.Close()
		return nil, err
	}
	if err := c.bw.Flush(); err != nil {
		stop()
		c.conn.Close()
		return nil, err
	}
	for {
		resp, err := http.ReadResponse(c.br, req)
		if err != nil {
			stop()
			c.conn.Close()
			return nil, err
		}
		// Interim answers (103 Early Hints) are not the response; a switch
		// of protocols never happens here, as upgrades take the other path.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 {
			continue
		}
		resp.Body = &upstreamBody{body: resp.Body, u: u, c: c, stop: stop, reuse: !resp.Close}
		return resp, nil
	}
}

// get returns an idle connection, or a new one.
func (u *upstream) get(ctx context.Context) (c *upstreamConn, reused bool, err error) {
	now := time.Now()
	u.mu.Lock()
	for len(u.idle) > 0 {
		c = u.idle[len(u.idle)-1]
		u.idle = u.idle[:len(u.idle)-1]
		if now.Sub(c.idleFrom) < idleConnTimeout {
			u.mu.Unlock()
			return c, true, nil
		}
		c.conn.Close()
	}
	u.mu.Unlock()
	c, err = u.dial(ctx)
	return c, false, err
}

func (u *upstream) dial(ctx context.Context) (*upstreamConn, error) {
	conn, err := u.dialer.DialContext(ctx, "tcp", u.addr)
	if err != nil {
		return nil, err
	}
	return &upstreamConn{conn: conn, br: bufio.NewReaderSize(conn, upstreamReadBuffer), bw: bufio.NewWriterSize(conn, upstreamWriteBuffer)}, nil
}

// put returns a connection whose response was read to the end.
func (u *upstream) put(c *upstreamConn) {
	if c.br.Buffered() > 0 {
		// The instance sent more than the response: the connection's framing
		// cannot be trusted any more.
		c.conn.Close()
		return
	}
	c.conn.SetDeadline(time.Time{})
	c.idleFrom = time.Now()
	u.mu.Lock()
	if len(u.idle) < idleConnsPerBackend {
		u.idle = append(u.idle, c)
		c = nil
	}
	u.mu.Unlock()
	if c != nil {
		c.conn.Close()
	}
}

// closeIdle closes every idle connection (the slot is being forgotten).
func (u *upstream) closeIdle() {
	u.mu.Lock()
	idle := u.idle
	u.idle = nil
	u.mu.Unlock()
	for _, c := range idle {
		c.conn.Close()
	}
}

// upstreamBody hands the connection back when the body was read to its end,
// and closes it when the reader gave up early: draining an unread body of
// unknown size could take forever.
type upstreamBody struct {
	body  io.ReadCloser
	u     *upstream
	c     *upstreamConn
	stop  func() bool
	reuse bool
	eof   bool
	done  bool
}

func (b *upstreamBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if errors.Is(err, io.EOF) {
		b.eof = true
	}
	return n, err
}

func (b *upstreamBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	interrupted := !b.stop()
	if b.eof && b.reuse && !interrupted {
		b.body.Close()
		b.u.put(b.c)
		return nil
	}
	return b.c.conn.Close()
}
