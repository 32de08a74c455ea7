// Package httpcache is the reverse proxy's shared response cache, the
// accelerator squid was in front of Zope and Plone: an RFC 9111 shared cache
// that stores GET answers in memory, bounded by size, answers GET and HEAD
// from them, and makes a single origin request for concurrent misses of one
// URL. Entries are kept per partition (service and release), so a blue/green
// switch never serves a page cached from the other release, while a rollback
// finds the previous release's pages still there.
//
// Cache-Control, Expires and Pragma are read by
// github.com/pquerna/cachecontrol in shared-cache mode, which also decides
// whether a response may be stored and for how long. Where this cache is
// stricter than RFC 9111, it is so on purpose, because a page stored wrongly
// is served to every visitor, while a page not stored costs one origin
// request:
//
//   - A response that sets a cookie is never stored: a session cookie served
//     from the cache would log every visitor in as the first one.
//   - A response whose Cache-Control mentions private or no-store anywhere,
//     even inside a quoted value, is not stored.
//   - A response that asks to be revalidated (no-cache) is not stored, since
//     this cache never revalidates; a stale entry is simply a miss.
//   - A response with no lifetime of its own gets Options.DefaultTTL only if
//     its status is cacheable by default (RFC 9110 §15.1): a 503 marked
//     public, while a release starts, must not outlive the start.
//   - Range requests and protocol upgrades pass through; 206 and 304 answers
//     and answers with trailers are never stored.
package httpcache

import (
	"net/http"
	"time"
)

// Options bound and tune a Cache.
type Options struct {
	// MaxSize bounds the bytes held (bodies plus headers, approximately);
	// the least recently used entries are evicted to stay under it. Must be
	// > 0.
	MaxSize int64
	// DefaultTTL is the freshness given to a storable response that states
	// no lifetime of its own (no max-age, s-maxage or Expires). Zero: such
	// responses are not stored.
	DefaultTTL time.Duration
	// Now is the clock; nil means time.Now (tests pass their own clock to
	// age entries without sleeping).
	Now func() time.Time
}

// Partition separates entries: a request is only ever answered from entries
// stored under its own partition.
type Partition struct{ Service, Release string }

// Cache is a shared HTTP response cache, safe for concurrent use.
type Cache struct {
	now        func() time.Time
	defaultTTL time.Duration
	// maxEntry is the largest entry stored: one page must not push out an
	// eighth of everything else.
	maxEntry int64
	store    *store
	flights  flights
	counts   counters
}

// New returns an empty cache. It panics when o.MaxSize is not positive,
// which is a programming error, not a condition to handle.
func New(o Options) *Cache {
	if o.MaxSize <= 0 {
		panic("httpcache: Options.MaxSize must be > 0")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Cache{
		now:        o.Now,
		defaultTTL: o.DefaultTTL,
		maxEntry:   o.MaxSize / 8,
		store:      newStore(o.MaxSize),
		flights:    flights{m: map[primaryKey]*flight{}},
	}
}

// Serve answers r from the cache when it can, else from origin (called at
// most once, with w or a writer that tees into w), storing the response when
// RFC 9111 allows a shared cache to.
//
// A request that finds another GET of its URL on its way to the origin
// waits for that one's answer instead. If its client leaves while it waits,
// Serve returns Miss having written nothing, as the proxy does for a client
// that leaves while a pause holds it.
func (c *Cache) Serve(w http.ResponseWriter, r *http.Request, p Partition, origin http.Handler) Outcome {
	rd, cacheable := readRequest(r)
	if !cacheable {
		c.counts.add(Bypass)
		origin.ServeHTTP(w, r)
		return Bypass
	}
	k := keyOf(r, p)
	if !rd.revalidate && c.answer(w, r, k, rd) {
		c.counts.add(Hit)
		return Hit
	}
	// Misses are counted before origin is called, since it may panic.
	if rd.revalidate || r.Method == http.MethodHead {
		// Nothing to wait for: the client wants the origin's own answer,
		// or a HEAD answer, which has no body to store.
		c.counts.add(Miss)
		c.fetch(w, r, k, origin, nil)
		return Miss
	}
	f, leader := c.flights.join(k)
	if leader {
		c.counts.add(Miss)
		// Deferred, so that followers are let go even when origin panics
		// (ReverseProxy aborts with http.ErrAbortHandler mid-body).
		defer c.flights.land(k, f)
		c.fetch(w, r, k, origin, func() { c.flights.land(k, f) })
		return Miss
	}
	if c.flights.wait(r.Context(), f) && c.answer(w, r, k, rd) {
		c.counts.add(Coalesced)
		return Coalesced
	}
	c.counts.add(Miss)
	if r.Context().Err() == nil {
		// The leader's answer was not stored, or not for this variant.
		c.fetch(w, r, k, origin, nil)
	}
	return Miss
}
