package proxy

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"deploy/internal/testwait"
)

// badClientProxy serves a.example, as the default service, from a backend
// that counts the requests reaching it, and logs to the returned buffer.
func badClientProxy(t *testing.T, opts ServerOptions) (addr string, hits func() int64, log *capturedLog) {
	t.Helper()
	log = &capturedLog{}
	p := New(Options{Logger: log.logger()})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}, Default: true}})
	backend, n := statusBackend(t, "blue", always(http.StatusOK))
	mustSwitch(t, p, "a", "blue", backend)
	return rawProxy(t, p, opts), n.Load, log
}

func TestServer_TrickledHeadersAreCutWhileOtherClientsAreServed(t *testing.T) {
	addr, _, log := badClientProxy(t, ServerOptions{ReadHeaderTimeout: 300 * time.Millisecond})
	slow := dialRaw(t, addr)
	started := make(chan struct{})
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		// The pace of the attack, not a synchronisation: one byte every
		// 10ms keeps the headers coming and never finishes them.
		head := "GET / HTTP/1.1\r\nHost: a.example\r\nX-Slow: "
		for i := 0; ; i++ {
			b := byte('a')
			if i < len(head) {
				b = head[i]
			}
			if _, err := slow.Write([]byte{b}); err != nil {
				return
			}
			if i == 0 {
				close(started)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	<-started

	for range 5 {
		if code, body := get(t, http.DefaultClient, "http://"+addr, "a.example", "/"); code != http.StatusOK || body != "blue" {
			t.Fatalf("another client, while headers trickle: %d %q, want 200 blue", code, body)
		}
	}
	if !slow.closedByProxy(t) {
		t.Fatal("the trickling connection was not closed")
	}
	testwait.For(t, "the cut to be logged", func() bool {
		return len(log.matching("request headers did not arrive in time", "remote=127.0.0.1")) == 1
	})
}

func TestServer_OversizedHeadersGet431AndNeverReachTheBackend(t *testing.T) {
	addr, hits, log := badClientProxy(t, ServerOptions{})
	c := dialRaw(t, addr)
	// Written aside: the proxy answers once it has read its limit, while
	// the rest is still on its way.
	go io.WriteString(c, "GET / HTTP/1.1\r\nHost: a.example\r\nX-Big: "+strings.Repeat("a", maxHeaderBytes+64<<10)+"\r\n\r\n")

	resp, _ := c.answer(t)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", resp.StatusCode)
	}
	if n := hits(); n != 0 {
		t.Errorf("%d requests reached the backend", n)
	}
	if got := log.matching("client request refused before routing", "status=431"); len(got) != 1 {
		t.Errorf("logged %q, want one refusal line with status 431", got)
	}
}

func TestServer_InvalidRequestsAreRefusedAndNeverReachTheBackend(t *testing.T) {
	addr, hits, log := badClientProxy(t, ServerOptions{})
	for _, c := range []struct {
		name, raw string
		want      int
	}{
		{"a garbage request line", "HELLO\r\n\r\n", 400},
		{"a space in the target", "GET /a b HTTP/1.1\r\nHost: a.example\r\n\r\n", 400},
		{"a malformed Host", "GET / HTTP/1.1\r\nHost: a.example/x\r\n\r\n", 400},
		{"two Host headers", "GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", 400},
		{"HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"a NUL in a header value", "GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\x00c\r\n\r\n", 400},
		{"a NUL in a header name", "GET / HTTP/1.1\r\nHost: a.example\r\nX\x00A: b\r\n\r\n", 400},
		{"a bare CR in a header value", "GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\rc\r\n\r\n", 400},
		{"an HTTP version net/http does not speak", "GET / HTTP/2.0\r\nHost: a.example\r\n\r\n", 505},
		{"an expectation net/http does not know", "GET / HTTP/1.1\r\nHost: a.example\r\nExpect: tea\r\n\r\n", 417},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := dialRaw(t, addr)
			conn.send(t, c.raw)
			resp, _ := conn.answer(t)
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d", resp.StatusCode, c.want)
			}
			if !conn.closedByProxy(t) {
				t.Error("the connection stayed open after the refusal")
			}
		})
	}
	if n := hits(); n != 0 {
		t.Errorf("%d requests reached the backend", n)
	}
	if got := log.matching("client request refused before routing", "remote=127.0.0.1"); len(got) != 10 {
		t.Errorf("logged %d refusals, want one per request:\n%s", len(got), strings.Join(got, "\n"))
	}
	if got := log.matching("client request refused before routing", "status=400", `reason="Bad Request: malformed Host header"`); len(got) != 1 {
		t.Errorf("the malformed Host refusal was logged %d times with its reason, want once", len(got))
	}
}

func TestServer_HTTP10RequestWithoutHostIsAnsweredLikeAnUnknownHost(t *testing.T) {
	for _, c := range []struct {
		name    string
		service Service
		want    int
		reaches bool
	}{
		{"the default service answers it", Service{Name: "a", Hosts: []string{"a.example"}, Default: true}, 200, true},
		{"without a default service it is not found", Service{Name: "a", Hosts: []string{"a.example"}}, 404, false},
		{"a Zope site refuses it: its URLs need a host name",
			Service{Name: "a", Hosts: []string{"a.example"}, Default: true, VirtualHost: &VirtualHost{Root: "/Plone"}}, 400, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := New(Options{})
			p.Configure([]Service{c.service})
			backend, hits := statusBackend(t, "blue", always(http.StatusOK))
			mustSwitch(t, p, "a", "blue", backend)
			conn := dialRaw(t, rawProxy(t, p, ServerOptions{}))
			conn.send(t, "GET / HTTP/1.0\r\n\r\n")
			if resp, _ := conn.answer(t); resp.StatusCode != c.want {
				t.Errorf("status %d, want %d", resp.StatusCode, c.want)
			}
			if reached := hits.Load() > 0; reached != c.reaches {
				t.Errorf("reached the backend: %v, want %v", reached, c.reaches)
			}
		})
	}
}

// smuggled is a request hidden in a body, to be taken for the next one by
// whoever reads the body's framing differently.
const smuggled = "GET /smuggled HTTP/1.1\r\nHost: a.example\r\n\r\n"

func TestServer_ConflictingBodyFramingIsRefusedAndSmugglesNothing(t *testing.T) {
	addr, hits, log := badClientProxy(t, ServerOptions{})
	post := "POST / HTTP/1.1\r\nHost: a.example\r\n"
	body := fmt.Sprintf("0\r\n\r\n%s", smuggled)
	for _, c := range []struct {
		name, headers string
		want          int
	}{
		{"two different Content-Lengths", "Content-Length: 5\r\nContent-Length: 6\r\n", 400},
		{"a Content-Length list", "Content-Length: 5, 6\r\n", 400},
		{"a signed Content-Length", "Content-Length: +5\r\n", 400},
		{"chunked then identity", "Transfer-Encoding: chunked, identity\r\n", 501},
		{"identity then chunked", "Transfer-Encoding: identity, chunked\r\n", 501},
		{"two Transfer-Encoding headers", "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", 501},
		{"a Transfer-Encoding net/http does not know", "Transfer-Encoding: xchunked\r\n", 501},
		{"a space before the colon", "Transfer-Encoding : chunked\r\n", 400},
		{"a vertical tab before chunked", "Transfer-Encoding: \x0bchunked\r\n", 400},
		{"chunked with a conflicting Content-Length list", "Content-Length: 5, 6\r\nTransfer-Encoding: chunked\r\n", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := dialRaw(t, addr)
			conn.send(t, post+c.headers+"\r\n"+body)
			resp, _ := conn.answer(t)
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d", resp.StatusCode, c.want)
			}
			if !conn.closedByProxy(t) {
				t.Error("the connection stayed open: the smuggled request could follow")
			}
		})
	}
	if n := hits(); n != 0 {
		t.Errorf("%d requests reached the backend", n)
	}
	if got := log.matching("client request refused before routing"); len(got) != 10 {
		t.Errorf("logged %d refusals, want one per request:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// net/http reads a request with both Content-Length and chunked by its
// chunks, as RFC 9112 allows, and keeps no trace of the Content-Length: the
// proxy answers such a request, then closes the connection, so that what
// a front proxy reading the Content-Length would take for the body is never
// read as another request.
func TestServer_BodyFramingNetHTTPCouldNotVouchForEndsTheConnection(t *testing.T) {
	for _, c := range []struct{ name, request, wantBody string }{
		{"Content-Length then chunked",
			"POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 48\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ""},
		{"chunked then Content-Length",
			"POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\nContent-Length: 48\r\n\r\n0\r\n\r\n", ""},
		{"HTTP/1.0 keep-alive with chunked and Content-Length",
			"POST / HTTP/1.0\r\nHost: a.example\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", "0\r\n\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := New(Options{})
			p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
			backend, seen := recordingBackend(t, "blue")
			mustSwitch(t, p, "a", "blue", backend)
			conn := dialRaw(t, rawProxy(t, p, ServerOptions{}))
			conn.send(t, c.request+smuggled)

			resp, body := conn.answer(t)
			if resp.StatusCode != http.StatusOK || body != "blue" || !resp.Close {
				t.Errorf("answer %d %q close=%v, want 200 blue with the connection closing", resp.StatusCode, body, resp.Close)
			}
			if !conn.closedByProxy(t) {
				t.Error("the connection stayed open after the answer")
			}
			got := seen()
			if len(got) != 1 || got[0].uri != "/" || got[0].body != c.wantBody {
				t.Errorf("the backend saw %+v, want the one POST / with body %q", got, c.wantBody)
			}
		})
	}
}

func TestServer_ChunkedUploadIsPassedOnWhole(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	backend, seen := recordingBackend(t, "blue")
	mustSwitch(t, p, "a", "blue", backend)
	conn := dialRaw(t, rawProxy(t, p, ServerOptions{}))
	conn.send(t, "POST /upload HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
	if resp, body := conn.answer(t); resp.StatusCode != http.StatusOK || body != "blue" {
		t.Errorf("answer %d %q, want 200 blue", resp.StatusCode, body)
	}
	if got := seen(); len(got) != 1 || got[0].body != "hello world" || got[0].bodyErr != nil {
		t.Errorf("the backend saw %+v, want the whole body", got)
	}
}
