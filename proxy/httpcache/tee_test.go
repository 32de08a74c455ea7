package httpcache

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestCache_DoesNotStoreHopByHopHeaders(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := answering(http.StatusOK, "page", "Cache-Control", "max-age=60",
		"Connection", "X-Hop", "X-Hop", "1", "Keep-Alive", "timeout=5", "Transfer-Encoding", "chunked",
		"Proxy-Authenticate", "Basic", "Upgrade", "h2c", "Age", "0", "X-Kept", "1")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	h := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page").Header()
	for _, name := range []string{"Connection", "X-Hop", "Keep-Alive", "Transfer-Encoding", "Proxy-Authenticate", "Upgrade"} {
		if v, ok := h[name]; ok {
			t.Errorf("hit carries %s: %v", name, v)
		}
	}
	if h.Get("X-Kept") != "1" || h.Get("Age") != "0" {
		t.Errorf("hit headers %v, want the end-to-end ones", h)
	}
}

func TestCache_ReplaysTheStoredBodyWithItsContentLength(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		for _, part := range []string{"<html>", "<body>", "</html>"} {
			io.WriteString(w, part)
		}
	})
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page")
	if w.Body.String() != "<html><body></html>" || w.Header().Get("Content-Length") != "19" || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("hit answered %q with %v", w.Body, w.Header())
	}
}

// failingWriter is a client that went away: every write fails.
type failingWriter struct{ *httptest.ResponseRecorder }

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestCache_DoesNotStoreAnAnswerCutShort(t *testing.T) {
	cutShort := answering(http.StatusOK, "page", "Cache-Control", "max-age=60", "Content-Length", "100")
	whole := answering(http.StatusOK, "page", "Cache-Control", "max-age=60")
	gone, leave := context.WithCancel(context.Background())
	leave()
	cases := map[string]func(c *Cache) Outcome{
		"by the origin": func(c *Cache) Outcome {
			return c.Serve(httptest.NewRecorder(), request("GET", "http://example.com/page"), blue, cutShort)
		},
		"by a failed write": func(c *Cache) Outcome {
			return c.Serve(failingWriter{httptest.NewRecorder()}, request("GET", "http://example.com/page"), blue, whole)
		},
		"by the client leaving": func(c *Cache) Outcome {
			return c.Serve(httptest.NewRecorder(), request("GET", "http://example.com/page").WithContext(gone), blue, whole)
		},
	}
	for name, cut := range cases {
		t.Run(name, func(t *testing.T) {
			c, _ := testCache(t, Options{})
			if o := cut(c); o != Miss {
				t.Fatalf("cut short: %s", o)
			}
			if s := c.Stats(); s.Stores != 0 {
				t.Errorf("stored an answer cut short: %+v", s)
			}
		})
	}
}

// The origin flushes the first part of a streamed answer and goes on only
// once the client read it: were the flush stuck in the cache, the client
// would wait forever, and a flush the cache refuses fails the test.
func TestCache_LetsTheOriginFlushAStreamedAnswer(t *testing.T) {
	c, _ := testCache(t, Options{})
	read := make(chan struct{})
	flushErr := make(chan error, 1)
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "first ")
		flushErr <- http.NewResponseController(w).Flush()
		<-read
		io.WriteString(w, "second")
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.Serve(w, r, blue, origin) }))
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := <-flushErr; err != nil {
		close(read)
		t.Fatalf("flush through the cache: %v", err)
	}
	body := bufio.NewReader(resp.Body)
	first, err := body.ReadString(' ')
	close(read)
	rest, _ := io.ReadAll(body)
	if err != nil || first+string(rest) != "first second" {
		t.Fatalf("client read %q then %q (%v)", first, rest, err)
	}
	if w := mustServe(t, Hit, c, blue, origin, "GET", srv.URL+"/stream"); w.Body.String() != "first second" {
		t.Errorf("the streamed answer was stored as %q", w.Body)
	}
}

// A body past the limit is not held on to while the rest streams through:
// the copy is dropped at once, not when the answer ends.
func TestTee_DropsTheCopyOfABodyPastItsLimit(t *testing.T) {
	w := httptest.NewRecorder()
	tee := &tee{w: w, limit: 10, keep: func(int, http.Header) bool { return true }}
	tee.Write([]byte("0123456789"))
	if len(tee.body) != 10 {
		t.Fatalf("copied %q of a body within the limit", tee.body)
	}
	tee.Write([]byte("x"))
	if _, ok := tee.kept(request("GET", "/")); ok || tee.body != nil || w.Body.String() != "0123456789x" {
		t.Errorf("kept %q past the limit; the client got %q", tee.body, w.Body)
	}
}

// syncBuffer is a log the server writes to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// An origin that flushes its headers before its body, as event streams do,
// sends them once: the cache sees the status the flush sent rather than
// writing a second one of its own.
func TestCache_SendsTheHeadersOfAFlushBeforeTheBodyOnce(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		http.NewResponseController(w).Flush()
		io.WriteString(w, "events")
	})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.Serve(w, r, blue, origin) }))
	var serverLog syncBuffer
	srv.Config.ErrorLog = log.New(&serverLog, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "events" || serverLog.String() != "" {
		t.Errorf("client read %q; server logged %q", body, serverLog.String())
	}
	mustServe(t, Hit, c, blue, origin, "GET", srv.URL+"/events")
}
