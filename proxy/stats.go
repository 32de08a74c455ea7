package proxy

import (
	"net/http"
	"sync/atomic"
	"time"
)

// InstanceStats describes one instance of a slot, for status pages and for
// the controller's decisions.
type InstanceStats struct {
	Addr string `json:"addr"`
	// Healthy is the last SetInstanceHealth verdict (true until told
	// otherwise).
	Healthy bool `json:"healthy"`
	// Draining is set while the instance is out of rotation for a planned
	// restart (and stays set when that restart did not finish).
	Draining bool `json:"draining,omitempty"`
	// EjectedUntil is when the instance comes back into rotation after
	// passive ejection or a refused connection; zero when in rotation.
	EjectedUntil time.Time `json:"ejected_until,omitzero"`
	Requests     uint64    `json:"requests"`
	Responses5xx uint64    `json:"responses_5xx"`
	// ConnErrors counts transport errors other than the client going away.
	ConnErrors uint64 `json:"conn_errors"`
}

// SlotStats are the cumulative counts of a slot since its pool was created.
// Every attempt counts: a request retried on a sibling counts two.
type SlotStats struct {
	Requests     uint64 `json:"requests"`
	Responses5xx uint64 `json:"responses_5xx"`
	ConnErrors   uint64 `json:"conn_errors"`
}

// counters are the cumulative counts of a pool or of one instance.
type counters struct {
	requests     atomic.Uint64
	responses5xx atomic.Uint64
	connErrors   atomic.Uint64
}

// SlotStats returns the counts of a slot; the zero value if it has no pool.
func (p *Proxy) SlotStats(service, slot string) SlotStats {
	pl := p.lookupPool(service, slot)
	if pl == nil {
		return SlotStats{}
	}
	return SlotStats{
		Requests:     pl.stats.requests.Load(),
		Responses5xx: pl.stats.responses5xx.Load(),
		ConnErrors:   pl.stats.connErrors.Load(),
	}
}

// InstanceStats returns the state and counts of a slot's instances, in the
// order of their addresses; nil if the slot has no pool.
func (p *Proxy) InstanceStats(service, slot string) []InstanceStats {
	pl := p.lookupPool(service, slot)
	if pl == nil {
		return nil
	}
	now := time.Now().UnixNano()
	out := make([]InstanceStats, len(pl.instances))
	for i, in := range pl.instances {
		out[i] = InstanceStats{
			Addr:         in.addr,
			Healthy:      !in.unhealthy.Load(),
			Draining:     in.draining.Load(),
			Requests:     in.stats.requests.Load(),
			Responses5xx: in.stats.responses5xx.Load(),
			ConnErrors:   in.stats.connErrors.Load(),
		}
		if until := in.ejectedUntil.Load(); until > now {
			out[i].EjectedUntil = time.Unix(0, until)
		}
	}
	return out
}

// record counts one attempt on an instance and ejects the instance when its
// 5xx answers in a row reach the service's limit; it then returns for how
// long. A client that went away is nobody's fault, so it is no error.
func (pl *pool) record(in *instance, req *http.Request, resp *http.Response, err error) (ejectedFor time.Duration, ejected bool) {
	pl.stats.requests.Add(1)
	in.stats.requests.Add(1)
	switch {
	case err != nil:
		if req.Context().Err() == nil {
			pl.stats.connErrors.Add(1)
			in.stats.connErrors.Add(1)
		}
	case resp.StatusCode >= 500:
		pl.stats.responses5xx.Add(1)
		in.stats.responses5xx.Add(1)
		policy := pl.state.eject.Load()
		if n := in.consecutive5xx.Add(1); policy.after > 0 && n >= policy.after {
			in.consecutive5xx.Store(0)
			in.eject(policy.duration)
			return policy.duration, true
		}
	default:
		// Load first: a store on every good answer would bounce the cache
		// line between cores for nothing.
		if in.consecutive5xx.Load() != 0 {
			in.consecutive5xx.Store(0)
		}
	}
	return 0, false
}
