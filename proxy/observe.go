package proxy

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"time"

	"deploy/proxy/httpcache"
)

// statusClientClosed is what a request is observed with when its client went
// away before anything was answered: nginx's 499, which log readers know.
const statusClientClosed = 499

// observation is one request from the moment ServeHTTP takes it until it
// ends: what was answered, by whom, and how long it took. The recorder the
// request is answered through and the context that carries the observation
// to poolTransport are part of it, so observing costs a request this one
// allocation, plus the shallow copy of the request that r.WithContext makes
// for requests sent to a slot.
type observation struct {
	rec   recorder
	ctx   observedContext
	start time.Time

	service  string
	preview  bool
	reason   replyReason // why the proxy answered by itself; replyNone when it did not
	pool     *pool       // nil when the proxy answered without one
	instance *instance   // whose answer was relayed; nil when none was reached
	// cache says how the service's cache took the request; Bypass when it
	// has none.
	cache httpcache.Outcome
}

func newObservation(w http.ResponseWriter) *observation {
	o := &observation{rec: recorder{ResponseWriter: w}, start: time.Now()}
	o.ctx.o = o
	return o
}

// answer gives the proxy's own answer to a request it has no pool for.
func (o *observation) answer(rp *reply) {
	o.reason = rp.reason
	rp.write(&o.rec)
}

// relay notes that the request goes to a pool and returns it with the
// context through which poolTransport names the instance that answered.
func (o *observation) relay(pl *pool, r *http.Request) *http.Request {
	o.pool = pl
	o.ctx.Context = r.Context()
	return r.WithContext(&o.ctx)
}

// status is the status the request was answered with. A handler that wrote
// nothing leaves net/http to send 200, unless the client went away: then
// nobody was answered, which nginx logs as 499, and so do we.
func (o *observation) status(r *http.Request) int {
	switch {
	case o.rec.status != 0:
		return o.rec.status
	case r.Context().Err() != nil:
		return statusClientClosed
	default:
		return http.StatusOK
	}
}

// finish observes a request that ended: the metrics count it and the access
// log, when on, writes it.
func (p *Proxy) finish(o *observation, r *http.Request) {
	end := time.Now()
	took := end.Sub(o.start)
	status := o.status(r)
	switch {
	case o.pool == nil:
		if o.reason != replyNone {
			p.replies[o.reason].Add(1)
		}
	case o.instance != nil:
		o.instance.answered.observe(status, took)
		o.instance.inFlight.Add(-1)
	case o.cache == httpcache.Hit || o.cache == httpcache.Coalesced:
		o.pool.cached.observe(status, took)
	default:
		o.pool.unreached.observe(status, took)
	}
	if al := p.accessLog.Load(); al != nil {
		p.logAccess(al, o, r, status, end, took)
	}
}

// relayed notes, on the observation of the request whose context is ctx (if
// it has one), the instance whose answer the proxy relays, and reports
// whether there was one to note it on. poolTransport calls it on the
// request's own goroutine after the attempt that got an answer; a request is
// retried on a sibling only when its first attempt got none.
func relayed(ctx context.Context, in *instance) bool {
	o, ok := ctx.Value(observationKey{}).(*observation)
	if ok {
		o.instance = in
	}
	return ok
}

// observationKey finds a request's observation in its context.
type observationKey struct{}

// observedContext is a request's context that also carries its observation.
// It is a type of its own rather than context.WithValue so that it can live
// inside the observation, in the same allocation.
type observedContext struct {
	context.Context
	o *observation
}

func (c *observedContext) Value(key any) any {
	if key == (observationKey{}) {
		return c.o
	}
	return c.Context.Value(key)
}

// recorder is the ResponseWriter a request is answered through: it notes the
// status and counts the body bytes. Unwrap lets http.ResponseController,
// which ReverseProxy flushes streamed bodies with, reach the server's own
// writer and whatever else it can do.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rec *recorder) WriteHeader(code int) {
	// Interim answers (100, 103) come before the response; a 101 is the
	// response. Reading status only for final codes keeps the interim ones,
	// which ReverseProxy writes from the transport's goroutine, off it.
	if code >= 200 || code == http.StatusSwitchingProtocols {
		if rec.status == 0 {
			rec.status = code
		}
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// Hijack hands the connection over, to switch protocols: ReverseProxy writes
// the 101 onto the hijacked connection itself, so WriteHeader never sees it.
func (rec *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(rec.ResponseWriter).Hijack()
	if err == nil && rec.status == 0 {
		rec.status = http.StatusSwitchingProtocols
	}
	return conn, brw, err
}

// Unwrap returns the writer the recorder writes through.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }
