package proxy

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Transport tuning: keep-alive pools per instance large enough that a busy
// site never opens a connection per request.
const (
	dialTimeout         = 5 * time.Second
	idleConnsPerBackend = 256
	idleConnTimeout     = 90 * time.Second
)

func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   idleConnsPerBackend,
		IdleConnTimeout:       idleConnTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// poolTransport sends a request to one instance of its pool. An instance that
// refuses the connection is taken out of rotation, and a request that can be
// sent twice without harm and got no answer (refused, reset, cut before the
// answer's headers) is retried once on a sibling. Every attempt is counted,
// so a retried request counts two.
type poolTransport struct {
	pool *pool
	base http.RoundTripper
	log  *slog.Logger
}

func (t *poolTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	in := t.pool.pick(nil)
	if in == nil {
		return nil, ErrNoInstances
	}
	resp, err := t.attempt(in, req)
	if err == nil || req.Context().Err() != nil {
		return resp, err
	}
	if isConnectError(err) {
		in.eject(ejectFor)
	}
	// No answer came: a read is sent once more, to a sibling, whether the
	// instance refused the connection or died while the request was on it.
	sibling := t.pool.pick(in)
	if sibling == nil || !replayable(req) {
		return nil, err
	}
	return t.attempt(sibling, req.Clone(req.Context()))
}

// attempt sends the request to one instance and counts the outcome; an
// instance that answered is named on the request's observation.
func (t *poolTransport) attempt(in *instance, req *http.Request) (*http.Response, error) {
	in.inFlight.Add(1)
	resp, err := t.send(in, req)
	// The count ends with the request's observation when the answer is
	// relayed; without one (no answer, or no observation) it ends now.
	if err != nil || !relayed(req.Context(), in) {
		in.inFlight.Add(-1)
	}
	if d, ejected := t.pool.record(in, req, resp, err); ejected {
		t.log.Warn("instance out of rotation after consecutive 5xx answers",
			"service", t.pool.service, "slot", t.pool.slot, "addr", in.addr, "for", d)
	}
	return resp, err
}

// send sends the request to one instance: plain reads on the lean path,
// everything else through http.Transport.
func (t *poolTransport) send(in *instance, req *http.Request) (*http.Response, error) {
	req.URL.Host = in.addr
	if leanEligible(req) {
		return in.lean.roundTrip(req)
	}
	return t.base.RoundTrip(req)
}

// isConnectError reports whether the request never reached the instance.
func isConnectError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// replayable reports whether sending the request again cannot do harm: an
// idempotent read with no body.
func replayable(req *http.Request) bool {
	return (req.Method == http.MethodGet || req.Method == http.MethodHead) &&
		(req.Body == nil || req.Body == http.NoBody)
}
