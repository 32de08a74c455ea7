package proxy

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"deploy/internal/lockedbuffer"
)

// rawProxy serves p through a real Server with opts on a loopback listener
// and returns the listener's host:port, for clients that speak raw TCP.
func rawProxy(t testing.TB, p *Proxy, opts ServerOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(p, opts)
	go s.Serve(ln)
	t.Cleanup(func() { s.plain.Close() })
	return ln.Addr().String()
}

// rawConn is a client connection on which a test writes bytes as it likes
// and reads answers as net/http's client would.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

// dialRaw connects to addr. Reads give up after a generous deadline, so
// that a proxy that never answers fails the test instead of hanging it.
func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{Conn: c, br: bufio.NewReader(c)}
}

// send writes raw onto the connection.
func (c *rawConn) send(t testing.TB, raw string) {
	t.Helper()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// answer reads one response and its whole body.
func (c *rawConn) answer(t testing.TB) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer body: %v", err)
	}
	return resp, string(b)
}

// closedByProxy reports whether the proxy closed the connection: a read
// ends without data, by end of file or reset, well before the deadline.
func (c *rawConn) closedByProxy(t testing.TB) bool {
	t.Helper()
	n, err := c.br.Read(make([]byte, 1))
	if n > 0 {
		t.Errorf("the connection carried more after the answer")
		return false
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

// seenRequest is a request as an instance received it.
type seenRequest struct {
	method, uri string
	header      http.Header
	body        string
	bodyErr     error // reading the body failed: the request came cut
}

// recordingBackend starts a real HTTP server that reads each request whole,
// records it and answers its name. seen returns what it received so far.
func recordingBackend(t testing.TB, name string) (addr string, seen func() []seenRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []seenRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seenRequest{method: r.Method, uri: r.RequestURI, header: r.Header.Clone(), body: string(b), bodyErr: err})
		mu.Unlock()
		io.WriteString(w, name)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), func() []seenRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]seenRequest(nil), got...)
	}
}

// capturedLog is a proxy's error log kept for tests that check what the
// proxy logged.
type capturedLog struct{ lockedbuffer.Buffer }

// logger returns a text logger, debug level and up, that writes here.
func (l *capturedLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// matching returns the lines logged so far that contain every one of
// parts.
func (l *capturedLog) matching(parts ...string) []string {
	var out []string
	for line := range strings.Lines(l.String()) {
		if containsAll(line, parts) {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
