package proxy

import (
	"errors"
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
// sent twice without harm is retried once on a sibling.
type poolTransport struct {
	pool *pool
	base http.RoundTripper
}

func (t *poolTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	in := t.pool.pick(nil)
	if in == nil {
		return nil, ErrNoInstances
	}
	resp, err := t.send(in, req)
	if err == nil || !isConnectError(err) {
		return resp, err
	}
	in.eject()
	sibling := t.pool.pick(in)
	if sibling == nil || !replayable(req) {
		return nil, err
	}
	return t.send(sibling, req.Clone(req.Context()))
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
