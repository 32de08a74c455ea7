package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"deploy/proxy/httpcache"
)

// methodPurge is the request method that empties cache entries, as squid
// and varnish take it.
const methodPurge = "PURGE"

// ErrNoCache is returned for a purge of a service that caches nothing.
var ErrNoCache = errors.New("the service has no cache")

// CacheOptions turn on a service's response cache.
type CacheOptions struct {
	MaxSize    int64
	DefaultTTL time.Duration
	// PurgeFrom are the peers whose PURGE requests are obeyed.
	PurgeFrom []netip.Prefix
}

// serviceCache is a service's cache and who may purge it.
type serviceCache struct {
	opts  CacheOptions
	cache *httpcache.Cache
}

// configureCache sets a service's cache. A Configure that leaves its bounds
// alone keeps its entries: a reload must not empty a warm cache.
func configureCache(st *serviceState, o *CacheOptions) {
	if o == nil {
		st.cache.Store(nil)
		return
	}
	c := st.cache.Load()
	if c == nil || c.opts.MaxSize != o.MaxSize || c.opts.DefaultTTL != o.DefaultTTL {
		st.cache.Store(&serviceCache{opts: *o, cache: httpcache.New(httpcache.Options{MaxSize: o.MaxSize, DefaultTTL: o.DefaultTTL})})
		return
	}
	st.cache.Store(&serviceCache{opts: *o, cache: c.cache})
}

// serveCached answers a request of a pool from its service's cache when it
// can. Preview requests always reach the slot: they check what it answers.
func (p *Proxy) serveCached(o *observation, pl *pool, r *http.Request) bool {
	sc := pl.state.cache.Load()
	if sc == nil || o.preview {
		return false
	}
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { forward(w, r, pl) })
	o.cache = sc.cache.Serve(&o.rec, r, httpcache.Partition{Service: pl.service, Release: pl.release}, origin)
	return true
}

// purge answers a PURGE request: the path's entries of the host's service
// go, in every release, if the peer may ask.
func (p *Proxy) purge(r *http.Request, o *observation) *reply {
	rt, _ := p.table.Load().lookup(normalizeHost(r.Host))
	if rt == nil {
		return notFoundReply
	}
	o.service = rt.service
	sc := rt.state.cache.Load()
	if sc == nil {
		return purgeReply(http.StatusNotFound, "This site keeps no cache.\n")
	}
	if !peerIn(sc.opts.PurgeFrom, r.RemoteAddr) {
		return purgeReply(http.StatusForbidden, "Purging is not allowed from this address.\n")
	}
	n := sc.cache.Purge(rt.service, r.URL.Path)
	return purgeReply(http.StatusOK, "Purged "+strconv.Itoa(n)+" entries.\n")
}

func purgeReply(status int, text string) *reply {
	return &reply{status: status, body: []byte(text), contentType: "text/plain; charset=utf-8", reason: replyPurge}
}

// CacheStats are a service's cache counts, size and bound.
type CacheStats struct {
	Hits      uint64 `json:"hits"`
	Misses    uint64 `json:"misses"`
	Coalesced uint64 `json:"coalesced"`
	Bypasses  uint64 `json:"bypasses"`
	Stores    uint64 `json:"stores"`
	Evictions uint64 `json:"evictions"`
	Entries   int    `json:"entries"`
	Bytes     int64  `json:"bytes"`
	MaxSize   int64  `json:"max_size"`
}

// CacheStats returns the counts of a service's cache; false when it has none.
func (p *Proxy) CacheStats(service string) (CacheStats, bool) {
	r, ok := p.table.Load().byName[service]
	if !ok {
		return CacheStats{}, false
	}
	sc := r.state.cache.Load()
	if sc == nil {
		return CacheStats{}, false
	}
	s := sc.cache.Stats()
	return CacheStats{Hits: s.Hits, Misses: s.Misses, Coalesced: s.Coalesced, Bypasses: s.Bypasses, Stores: s.Stores,
		Evictions: s.Evictions, Entries: s.Entries, Bytes: s.Bytes, MaxSize: sc.opts.MaxSize}, true
}

// PurgeCache removes a service's cache entries whose path matches: "" all
// of them, a pattern ending in "*" a prefix, anything else one path. It
// returns how many went.
func (p *Proxy) PurgeCache(service, path string) (int, error) {
	r, ok := p.table.Load().byName[service]
	if !ok {
		return 0, fmt.Errorf("purge %s: %w", service, ErrUnknownService)
	}
	sc := r.state.cache.Load()
	if sc == nil {
		return 0, fmt.Errorf("purge %s: %w", service, ErrNoCache)
	}
	return sc.cache.Purge(service, path), nil
}
