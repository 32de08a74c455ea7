package httpcache

import (
	"container/list"
	"net/http"
	"slices"
	"sync"
	"time"
)

// store holds the entries, bounded by size: the least recently used go
// first when room is needed. One lock guards it all; it is held for map
// and list work only, never while a body is written.
type store struct {
	mu    sync.Mutex
	max   int64
	bytes int64
	lru   list.List // of *entry, the most recently used first
	byKey map[primaryKey]*resource
	// purges counts each service's purges, so that an answer fetched
	// before a purge is not stored after it, undoing the purge.
	purges            map[string]uint64
	stores, evictions uint64
}

// resource is everything stored under one primary key: the variants of its
// answer and the header names that choose among them.
type resource struct {
	vary     []string
	variants map[string]*list.Element
}

func newStore(max int64) *store {
	return &store{max: max, byKey: map[primaryKey]*resource{}, purges: map[string]uint64{}}
}

// get returns the entry that a request with header h selects under k, and
// marks it used, or nil. A stale entry is dropped on the way: this cache
// does not revalidate, so it would never be served again.
func (s *store) get(k primaryKey, h http.Header, now time.Time) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := s.byKey[k]
	if res == nil {
		return nil
	}
	el := res.variants[variantOf(res.vary, h)]
	if el == nil {
		return nil
	}
	e := el.Value.(*entry)
	if !e.fresh(now) {
		s.remove(el)
		return nil
	}
	s.lru.MoveToFront(el)
	return e
}

// generation is the number of purges of a service so far; put compares it
// with the one it is given to tell whether a purge came in between.
func (s *store) generation(service string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.purges[service]
}

// put stores e, replacing the variant it selects, and evicts the least
// recently used entries to make room. It stores nothing when the service
// was purged since generation was read.
func (s *store) put(e *entry, vary []string, generation uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.purges[e.key.partition.Service] != generation || e.size > s.max {
		return
	}
	if res := s.byKey[e.key]; res != nil {
		if !slices.Equal(res.vary, vary) {
			// Variants chosen by other headers can no longer be told
			// apart by the ones the origin varies on now.
			s.removeAll(res)
		} else if old := res.variants[e.variant]; old != nil {
			s.remove(old)
		}
	}
	for s.bytes+e.size > s.max {
		s.remove(s.lru.Back())
		s.evictions++
	}
	res := s.byKey[e.key]
	if res == nil {
		res = &resource{vary: vary, variants: map[string]*list.Element{}}
		s.byKey[e.key] = res
	}
	res.variants[e.variant] = s.lru.PushFront(e)
	s.bytes += e.size
	s.stores++
}

// purge removes every entry whose key matches and counts them; callers
// match one service only, whose generation moves on.
func (s *store) purge(service string, match func(primaryKey) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purges[service]++
	n := 0
	for k, res := range s.byKey {
		if k.partition.Service == service && match(k) {
			n += len(res.variants)
			s.removeAll(res)
		}
	}
	return n
}

func (s *store) removeAll(res *resource) {
	for _, el := range res.variants {
		s.remove(el)
	}
}

// remove drops one entry, and its resource with its last variant. Callers
// hold s.mu.
func (s *store) remove(el *list.Element) {
	e := s.lru.Remove(el).(*entry)
	s.bytes -= e.size
	res := s.byKey[e.key]
	delete(res.variants, e.variant)
	if len(res.variants) == 0 {
		delete(s.byKey, e.key)
	}
}

func (s *store) stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Stores: s.stores, Evictions: s.evictions, Entries: s.lru.Len(), Bytes: s.bytes}
}
