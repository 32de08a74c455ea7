package config

import (
	"github.com/hashicorp/hcl/v2"
)

// How a release rolls out: the warm-up of the new slot before the switch,
// and when the watch after the switch rolls back.

func (c *checker) warmUp(raws []*rawWarmUp) *WarmUp {
	once(c, "warm_up", raws, func(r *rawWarmUp) hcl.Range { return r.DefRange })
	var out *WarmUp
	for i, r := range raws {
		if w := c.warmUpBlock(r); i == 0 {
			out = w
		}
	}
	return out
}

func (c *checker) warmUpBlock(r *rawWarmUp) *WarmUp {
	w := &WarmUp{
		Rounds:          c.count(r.Rounds, "rounds", defaultWarmUpRounds, 1, maxWarmUpRounds, ""),
		MaxLatencyRatio: defaultWarmUpRatio,
		Timeout:         defaultWarmUpTimeout,
	}
	urls, st := c.stringList(r.URLs)
	switch {
	case st == absent:
		c.add(errorf(r.DefRange, "Missing urls",
			"A warm_up block needs the pages to request, as paths such as urls = [\"/\", \"/news\"]."))
	case st == valid && len(urls) == 0:
		c.add(errorf(r.URLs.Range(), "No warm-up URLs",
			"List at least one path to request, such as urls = [\"/\"], or remove the warm_up block."))
	case st == valid:
		for _, u := range urls {
			if c.requestPath(u.val, u.rng, "warm-up URL") {
				w.URLs = append(w.URLs, u.val)
			}
		}
	}
	if ratio, st := decode[float64](c, r.MaxLatencyRatio); st == valid {
		if ratio >= 1 {
			w.MaxLatencyRatio = ratio
		} else {
			c.add(errorf(r.MaxLatencyRatio.Range(), "Invalid max_latency_ratio",
				"max_latency_ratio must be at least 1, since a new slot cannot be asked to be faster than the live one; it is %g. Write such as 1.5 for at most half again as slow.", ratio))
		}
	}
	if d, st := c.duration(r.Timeout, defaultWarmUpTimeout); st != invalid {
		w.Timeout = d
	}
	return w
}

func (c *checker) rollbackWhen(raws []*rawRollbackWhen) RollbackWhen {
	once(c, "rollback_when", raws, func(r *rawRollbackWhen) hcl.Range { return r.DefRange })
	out := RollbackWhen{ErrorRate: defaultErrorRate, MinRequests: defaultMinRequests}
	for i, r := range raws {
		rw := RollbackWhen{ErrorRate: defaultErrorRate, MinRequests: defaultMinRequests}
		if rate, st := decode[float64](c, r.ErrorRate); st == valid {
			if rate > 0 && rate <= 1 {
				rw.ErrorRate = rate
			} else {
				c.add(errorf(r.ErrorRate.Range(), "Invalid error_rate",
					"error_rate is a share of requests, above 0 and at most 1, such as 0.02 for 2%%; it is %g.", rate))
			}
		}
		if n, st := decode[int](c, r.MinRequests); st == valid {
			if n >= 1 {
				rw.MinRequests = n
			} else {
				c.add(errorf(r.MinRequests.Range(), "Invalid min_requests",
					"min_requests must be at least 1; it is %d. It is how many requests the new slot must have answered before its error rate counts, such as 20.", n))
			}
		}
		if i == 0 {
			out = rw
		}
	}
	return out
}
