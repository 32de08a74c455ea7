package web

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"deploy/orchestrator"
)

// sampleEvery is how often Run reads the traffic counters.
const sampleEvery = time.Second

// rate is a slot's traffic between the last two samples.
type rate struct {
	RequestsPerSecond float64 `json:"requests_per_second"`
	// ErrorRate is the fraction of requests answered with a 5xx or lost
	// to a connection error, from 0 to 1.
	ErrorRate float64 `json:"error_rate"`
}

// slotKey names one slot of one service.
type slotKey struct{ service, slot string }

// counters are a slot's cumulative traffic counters, summed over its
// instances.
type counters struct{ requests, errors uint64 }

// rates turns the cumulative counters of successive samples into rates.
type rates struct {
	mu     sync.Mutex
	at     time.Time
	last   map[slotKey]counters
	latest map[slotKey]rate
}

func (r *rates) run(ctx context.Context, c Controller, log *slog.Logger) {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	failing := false
	for {
		st, err := c.Status("")
		switch {
		case err != nil && !failing:
			log.Warn("status page: cannot sample traffic", "err", err)
		case err == nil:
			r.sample(time.Now(), st)
		}
		failing = err != nil
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sample records the counters read at now and computes each slot's rate
// since the sample before.
func (r *rates) sample(now time.Time, services []orchestrator.ServiceStatus) {
	cur := map[slotKey]counters{}
	for _, svc := range services {
		for _, sl := range svc.Slots {
			var c counters
			for _, in := range sl.Instances {
				c.requests += in.Requests
				c.errors += in.Responses5xx + in.ConnErrors
			}
			cur[slotKey{svc.Service, sl.Slot}] = c
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last != nil {
		secs := now.Sub(r.at).Seconds()
		latest := map[slotKey]rate{}
		for k, c := range cur {
			if prev, ok := r.last[k]; ok && secs > 0 {
				latest[k] = between(prev, c, secs)
			}
		}
		r.latest = latest
	}
	r.at, r.last = now, cur
}

// between is the rate from prev to cur over secs seconds. Counters that went
// down belong to a slot started again: they count from zero.
func between(prev, cur counters, secs float64) rate {
	if cur.requests < prev.requests || cur.errors < prev.errors {
		prev = counters{}
	}
	reqs, errs := cur.requests-prev.requests, cur.errors-prev.errors
	rt := rate{RequestsPerSecond: float64(reqs) / secs}
	if reqs > 0 {
		// Connection errors count among the requests; the cap guards
		// against counters read a moment apart.
		rt.ErrorRate = min(float64(errs)/float64(reqs), 1)
	}
	return rt
}

// of returns a slot's latest rate, if two samples have been taken.
func (r *rates) of(service, slot string) (rate, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rt, ok := r.latest[slotKey{service, slot}]
	return rt, ok
}
