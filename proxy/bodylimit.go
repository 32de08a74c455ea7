package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
)

// tooLargeReply answers a request whose body is larger than the proxy
// passes on. Like the other built-in pages it names no limit and nothing
// internal.
var tooLargeReply = &reply{
	status:      http.StatusRequestEntityTooLarge,
	body:        []byte("This request is larger than the site accepts.\n"),
	contentType: "text/plain; charset=utf-8",
}

// refuseBody answers 413 to a request that declared a body over limit,
// without reading it or contacting an instance. The answer is observed like
// the proxy's other own answers, so the access log has its line.
func (p *Proxy) refuseBody(w http.ResponseWriter, r *http.Request, limit int64) {
	p.log.Info("request body over max_body_size refused", "remote", clientIP(r.RemoteAddr),
		"host", r.Host, "method", r.Method, "uri", r.RequestURI,
		"content_length", r.ContentLength, "max_body_size", limit)
	o := newObservation(w)
	if rt, _ := p.table.Load().lookup(normalizeHost(r.Host)); rt != nil {
		o.service = rt.service
	}
	// Nobody wants the rest of the body: closing spares the client
	// sending it and net/http reading it.
	w.Header().Set("Connection", "close")
	o.answer(tooLargeReply)
	p.finish(o, r)
}

// serveCapped passes on a request whose body has no declared length,
// cutting the body once it grows over the limit. The cut fails the request
// to the instance the way a client leaving does (see cappedBody), so the
// proxy neither blames the instance nor answers 502; the client is then
// answered 413 if nothing was answered yet. If the instance's answer had
// already begun, the answer is cut short and the connection closed: the
// client learns from the broken answer that its request failed.
//
// The access log line of such a request says 499, as for a client that
// left: the proxy gave up on the request before an answer. The 413 is in
// the error log.
func (g *gate) serveCapped(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	body := &cappedBody{
		// http.MaxBytesReader also makes net/http close the connection
		// after the answer instead of reading the rest of the body.
		ReadCloser: http.MaxBytesReader(w, r.Body, g.maxBody),
		cancel:     cancel,
	}
	aw := &answerWatch{ResponseWriter: w}
	capped := r.WithContext(ctx)
	capped.Body = body
	// Deferred, to log the cut even when it breaks an answer under way:
	// the reverse proxy then aborts the handler with a panic.
	sent413 := false
	defer func() {
		if body.cut.Load() {
			g.proxy.log.Info("request body over max_body_size cut", "remote", clientIP(r.RemoteAddr),
				"host", r.Host, "method", r.Method, "uri", r.RequestURI,
				"max_body_size", g.maxBody, "answered_413", sent413)
		}
	}()
	g.next.ServeHTTP(aw, capped)
	if body.cut.Load() && !aw.answered {
		sent413 = true
		w.Header().Set("Connection", "close")
		tooLargeReply.write(w)
	}
}

// cappedBody is a request body cut at a limit. Going over the limit cancels
// the request's context and fails the read with an error that is also
// context.Canceled: to the reverse proxy and its error handler the request
// was abandoned on the client's side, which it was, rather than failed by
// the instance.
type cappedBody struct {
	io.ReadCloser
	cancel context.CancelFunc
	// cut is set by the transport's goroutine, which reads the body, and
	// read by the request's own.
	cut atomic.Bool
}

func (b *cappedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if tooLarge := (*http.MaxBytesError)(nil); err != nil && errors.As(err, &tooLarge) {
		b.cut.Store(true)
		b.cancel()
		return n, fmt.Errorf("%w: %w", err, context.Canceled)
	}
	return n, err
}

// answerWatch notes whether a final answer has begun on its writer. Only
// final answers count: interim ones (100, 103) leave room for the 413, and
// are written from the transport's goroutine, which must not touch
// answered.
type answerWatch struct {
	http.ResponseWriter
	answered bool
}

func (a *answerWatch) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		a.answered = true
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerWatch) Write(b []byte) (int, error) {
	a.answered = true
	return a.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer, to flush
// streamed answers and to hijack upgraded connections.
func (a *answerWatch) Unwrap() http.ResponseWriter { return a.ResponseWriter }
