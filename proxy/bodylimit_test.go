package proxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"deploy/internal/testwait"
)

// limitedProxy serves a.example from backend through a Server that passes
// on bodies of up to 1 KiB, and keeps its error and access logs.
func limitedProxy(t *testing.T, backend string) (addr string, errorLog *capturedLog, accessLog *logBuffer) {
	t.Helper()
	errorLog, accessLog = &capturedLog{}, &logBuffer{}
	p := New(Options{Logger: errorLog.logger()})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", backend)
	p.SetAccessLog(accessLog, 1)
	return rawProxy(t, p, ServerOptions{MaxBodySize: 1024}), errorLog, accessLog
}

// chunked frames body as one chunk and the last one.
func chunked(body string) string {
	return fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
}

func TestServer_BodyDeclaredOverTheLimitGets413WithoutReachingTheBackend(t *testing.T) {
	backend, hits := statusBackend(t, "blue", always(http.StatusOK))
	addr, errorLog, accessLog := limitedProxy(t, backend)
	conn := dialRaw(t, addr)
	conn.send(t, "POST /upload HTTP/1.1\r\nHost: a.example\r\nContent-Length: 1025\r\n\r\n"+strings.Repeat("x", 100))

	resp, body := conn.answer(t)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || body != string(tooLargeReply.body) || !resp.Close {
		t.Errorf("answer %d %q close=%v, want the 413 page and the connection closing", resp.StatusCode, body, resp.Close)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests reached the backend", n)
	}
	if got := errorLog.matching("request body over max_body_size refused", "content_length=1025", "max_body_size=1024"); len(got) != 1 {
		t.Errorf("error log %q, want one line for the refusal", got)
	}
	line := accessLog.waitLines(t, 1)[0]
	if line["status"] != float64(413) || line["service"] != "a" || line["uri"] != "/upload" {
		t.Errorf("access log line %v, want the 413 for service a", line)
	}
}

func TestServer_BodyOfExactlyTheLimitIsPassedOn(t *testing.T) {
	backend, seen := recordingBackend(t, "blue")
	addr, _, _ := limitedProxy(t, backend)
	full := strings.Repeat("x", 1024)
	for _, framing := range []string{
		"Content-Length: 1024\r\n\r\n" + full,
		"Transfer-Encoding: chunked\r\n\r\n" + chunked(full),
	} {
		conn := dialRaw(t, addr)
		conn.send(t, "POST / HTTP/1.1\r\nHost: a.example\r\n"+framing)
		if resp, body := conn.answer(t); resp.StatusCode != http.StatusOK || body != "blue" {
			t.Errorf("%.30q: answer %d %q, want 200 blue", framing, resp.StatusCode, body)
		}
	}
	for i, r := range seen() {
		if r.body != full || r.bodyErr != nil {
			t.Errorf("request %d reached the backend with %d bytes (%v), want all 1024", i, len(r.body), r.bodyErr)
		}
	}
}

func TestServer_ChunkedBodyGrowingOverTheLimitIsCutAndAnswered413(t *testing.T) {
	backend, seen := recordingBackend(t, "blue")
	addr, errorLog, accessLog := limitedProxy(t, backend)
	conn := dialRaw(t, addr)
	conn.send(t, "POST /upload HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n"+chunked(strings.Repeat("x", 4096)))

	resp, body := conn.answer(t)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || body != string(tooLargeReply.body) || !resp.Close {
		t.Errorf("answer %d %q close=%v, want the 413 page and the connection closing", resp.StatusCode, body, resp.Close)
	}
	if !conn.closedByProxy(t) {
		t.Error("the connection stayed open after the 413")
	}
	// The backend had begun to receive the request; what it got was cut.
	for _, r := range seen() {
		if r.bodyErr == nil {
			t.Errorf("the backend read a whole body of %d bytes, want it cut", len(r.body))
		}
	}
	testwait.For(t, "the cut to be logged", func() bool {
		return len(errorLog.matching("request body over max_body_size cut", "answered_413=true", "uri=/upload")) == 1
	})
	if got := errorLog.matching("backend request failed"); len(got) != 0 {
		t.Errorf("the cut was blamed on the backend: %q", got)
	}
	// The proxy gave up on the request before any answer, as when a
	// client leaves; the 413 came after, and is in the error log.
	if line := accessLog.waitLines(t, 1)[0]; line["status"] != float64(statusClientClosed) {
		t.Errorf("access log line %v, want status 499", line)
	}
}

func TestServer_ChunkedBodyGrowingOverTheLimitAfterTheAnswerBeganEndsTheConnection(t *testing.T) {
	var bodyErr atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An application that answers as soon as the upload starts and
		// reads it while answering.
		http.NewResponseController(w).EnableFullDuplex()
		io.WriteString(w, "started\n")
		http.NewResponseController(w).Flush()
		_, err := io.Copy(io.Discard, r.Body)
		bodyErr.Store(fmt.Sprint(err))
	}))
	t.Cleanup(srv.Close)
	addr, errorLog, _ := limitedProxy(t, srv.Listener.Addr().String())
	conn := dialRaw(t, addr)
	conn.send(t, "POST /upload HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
	resp, err := http.ReadResponse(conn.br, nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want the application's 200", resp.StatusCode)
	}

	conn.send(t, chunked(strings.Repeat("x", 4096)))
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Errorf("the answer ended normally (%q); want it cut short", body)
	}
	if !strings.HasPrefix(string(body), "started") {
		t.Errorf("answer body %q, want the application's start", body)
	}
	testwait.For(t, "the cut to be logged", func() bool {
		return len(errorLog.matching("request body over max_body_size cut", "answered_413=false")) == 1
	})
	testwait.For(t, "the application to see its upload fail", func() bool {
		v, _ := bodyErr.Load().(string)
		return v != "" && v != "<nil>"
	})
}
