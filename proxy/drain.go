package proxy

import (
	"context"
	"fmt"
	"time"
)

// drainPoll is how often a drain looks at the in-flight count. Draining is
// not on the request path, so polling keeps the request path free of
// signalling work.
const drainPoll = 5 * time.Millisecond

// Drain follows a slot that stopped being live until its requests finish.
type Drain struct {
	proxy *Proxy
	pool  *pool
}

// DrainResult says how a drain ended.
type DrainResult struct {
	Slot string `json:"slot"`
	// Drained is true when no request was left in flight.
	Drained bool `json:"drained"`
	// Remaining counts the requests still in flight when the wait ended.
	Remaining int64 `json:"remaining"`
	// LiveAgain is true when the slot became live again while draining (a
	// quick rollback), so waiting for it made no more sense.
	LiveAgain bool          `json:"live_again,omitempty"`
	Took      time.Duration `json:"took_ns"`
}

// String says how the drain ended, in the words history records.
func (d *DrainResult) String() string {
	switch {
	case d == nil:
		return ""
	case d.Drained:
		return fmt.Sprintf("%s drained in %s", d.Slot, d.Took.Round(time.Millisecond))
	case d.LiveAgain:
		return fmt.Sprintf("%s became live again while draining", d.Slot)
	default:
		return fmt.Sprintf("%s still had %d requests in flight at the drain timeout; they finish on the running slot", d.Slot, d.Remaining)
	}
}

// Slot names the slot being drained.
func (d *Drain) Slot() string { return d.pool.slot }

// Wait returns when the slot has no request in flight, when it became live
// again, or when ctx ends (the drain timeout), with how many were left.
func (d *Drain) Wait(ctx context.Context) DrainResult {
	start := time.Now()
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	for {
		n := d.pool.inFlight.Load()
		res := DrainResult{Slot: d.pool.slot, Remaining: n, Took: time.Since(start)}
		switch {
		case n == 0:
			res.Drained = true
			return res
		case d.proxy.isLive(d.pool):
			res.LiveAgain = true
			return res
		}
		select {
		case <-ctx.Done():
			return res
		case <-tick.C:
		}
	}
}

// WaitIdle waits until a slot that is not live has no request in flight, or
// ctx ends. It is what a stop waits for before it ends the slot's processes.
func (p *Proxy) WaitIdle(ctx context.Context, service, slot string) DrainResult {
	pl := p.lookupPool(service, slot)
	if pl == nil {
		return DrainResult{Slot: slot, Drained: true}
	}
	return (&Drain{proxy: p, pool: pl}).Wait(ctx)
}

func (p *Proxy) isLive(pl *pool) bool {
	r, ok := p.table.Load().byName[pl.service]
	return ok && r.live == pl
}

// isRouted reports whether the pool is its service's live or preview pool.
func (p *Proxy) isRouted(pl *pool) bool {
	r, ok := p.table.Load().byName[pl.service]
	return ok && (r.live == pl || r.preview == pl)
}
