package httpcache

import "sync/atomic"

// Stats are cumulative counts and the current size.
type Stats struct {
	Hits, Misses, Coalesced, Bypasses, Stores, Evictions uint64
	Entries                                              int
	Bytes                                                int64
}

// counters count the requests by outcome. They are atomic, apart from the
// store's lock, so that counting never makes a hit wait for a store.
type counters [outcomes]atomic.Uint64

func (cs *counters) add(o Outcome) { cs[o].Add(1) }

// Stats returns the counts so far and what the cache holds now.
func (c *Cache) Stats() Stats {
	s := c.store.stats()
	s.Hits = c.counts[Hit].Load()
	s.Misses = c.counts[Miss].Load()
	s.Coalesced = c.counts[Coalesced].Load()
	s.Bypasses = c.counts[Bypass].Load()
	return s
}
