// Package proxy is the embedded reverse proxy: host routing to services,
// one pool of instances per slot, an atomic switch of a service's live slot,
// and draining of the slot that was live before.
package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
)

// Sentinel errors of routing changes.
var (
	ErrUnknownService = errors.New("unknown service")
	ErrNoInstances    = errors.New("a slot needs at least one instance address")
)

// Options configure a Proxy.
type Options struct {
	// TrustedProxies are the peers whose X-Forwarded-* headers are kept;
	// everyone else's are replaced.
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger
}

// Service is how one service is reached: its host names, and whether it
// answers hosts that no service names.
type Service struct {
	Name    string
	Hosts   []string
	Default bool
}

// Backend is one slot of a service and the addresses of its instances.
type Backend struct {
	Slot  string
	Addrs []string
}

// Proxy routes requests to the live slot of the service their Host names.
type Proxy struct {
	opts      Options
	log       *slog.Logger
	transport http.RoundTripper
	buffers   *bufferPool

	table atomic.Pointer[table]

	// mu serialises routing changes and guards pools; the request path
	// never takes it.
	mu    sync.Mutex
	pools map[poolKey]*pool
}

type poolKey struct{ service, slot string }

// New returns a proxy with no services: every request gets 404 until
// Configure names some.
func New(opts Options) *Proxy {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	p := &Proxy{opts: opts, log: opts.Logger, transport: newTransport(), buffers: newBufferPool(), pools: map[poolKey]*pool{}}
	p.table.Store(&table{byHost: map[string]*route{}, byName: map[string]*route{}})
	return p
}

// Configure sets the services and their host names. Services that stay keep
// their live slot; services that go are no longer routed.
func (p *Proxy) Configure(services []Service) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.table.Load()
	next := &table{byHost: map[string]*route{}, byName: map[string]*route{}}
	for _, s := range services {
		r := &route{service: s.Name}
		if prev, ok := old.byName[s.Name]; ok {
			r.live = prev.live
		}
		next.byName[s.Name] = r
		for _, h := range s.Hosts {
			next.byHost[normalizeHost(h)] = r
		}
		if s.Default {
			next.fallback = r
		}
	}
	for k := range p.pools {
		if _, ok := next.byName[k.service]; !ok {
			delete(p.pools, k)
		}
	}
	p.table.Store(next)
}

// Switch routes the service's new requests to the backend, atomically.
// Requests already in flight finish where they are; the returned Drain
// follows the slot that was live before (nil if none was).
func (p *Proxy) Switch(service string, to Backend) (*Drain, error) {
	if len(to.Addrs) == 0 {
		return nil, fmt.Errorf("switch %s to %s: %w", service, to.Slot, ErrNoInstances)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.table.Load()
	r, ok := old.byName[service]
	if !ok {
		return nil, fmt.Errorf("switch %s to %s: %w", service, to.Slot, ErrUnknownService)
	}
	target := p.poolFor(service, to)
	prev := r.live
	p.table.Store(old.withLive(service, target))
	if prev == nil || prev == target {
		return nil, nil
	}
	return &Drain{proxy: p, pool: prev}, nil
}

// poolFor returns the pool of the slot, replacing it when the slot's
// addresses changed (a restarted slot on other ports). Callers hold p.mu.
func (p *Proxy) poolFor(service string, b Backend) *pool {
	k := poolKey{service, b.Slot}
	if pl, ok := p.pools[k]; ok && pl.sameAddrs(b.Addrs) {
		return pl
	}
	pl := &pool{service: service, slot: b.Slot}
	for _, a := range b.Addrs {
		pl.instances = append(pl.instances, &instance{addr: a, lean: newUpstream(a)})
	}
	pl.handler = p.newHandler(pl)
	p.pools[k] = pl
	return pl
}

// withLive returns a copy of t in which the service's live pool is pl.
func (t *table) withLive(service string, pl *pool) *table {
	next := &table{byHost: make(map[string]*route, len(t.byHost)), byName: make(map[string]*route, len(t.byName))}
	remap := make(map[*route]*route, len(t.byName))
	for name, r := range t.byName {
		nr := &route{service: r.service, live: r.live}
		if name == service {
			nr.live = pl
		}
		remap[r] = nr
		next.byName[name] = nr
	}
	for h, r := range t.byHost {
		next.byHost[h] = remap[r]
	}
	if t.fallback != nil {
		next.fallback = remap[t.fallback]
	}
	return next
}

// Live returns the live slot of a service and its instance addresses.
func (p *Proxy) Live(service string) (slot string, addrs []string) {
	r, ok := p.table.Load().byName[service]
	if !ok || r.live == nil {
		return "", nil
	}
	return r.live.slot, r.live.addrs()
}

// InFlight returns how many requests are in flight to a slot of a service.
func (p *Proxy) InFlight(service, slot string) int64 {
	p.mu.Lock()
	pl := p.pools[poolKey{service, slot}]
	p.mu.Unlock()
	if pl == nil {
		return 0
	}
	return pl.inFlight.Load()
}

// Forget drops a slot's pool once the slot is stopped, so a later start on
// other ports begins from a fresh pool. The live slot cannot be forgotten.
func (p *Proxy) Forget(service, slot string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := poolKey{service, slot}
	pl := p.pools[k]
	if pl == nil || p.isLive(pl) {
		return
	}
	delete(p.pools, k)
	for _, in := range pl.instances {
		in.lean.closeIdle()
	}
}

// Services lists the configured service names, sorted.
func (p *Proxy) Services() []string {
	t := p.table.Load()
	names := make([]string, 0, len(t.byName))
	for n := range t.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ServeHTTP sends the request to the live slot of its service.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pl, status := p.acquire(normalizeHost(r.Host))
	if pl == nil {
		writePage(w, status)
		return
	}
	defer pl.inFlight.Add(-1)
	pl.handler.ServeHTTP(w, r)
}

// acquire picks the live pool for a host and counts the request in it. The
// count is taken before the table is read a second time: if a switch slipped
// in between, the request backs out and follows the new table, so a drain
// that saw zero in flight can never be followed by a request to that slot.
func (p *Proxy) acquire(host string) (*pool, int) {
	for {
		t := p.table.Load()
		r := t.lookup(host)
		if r == nil {
			return nil, http.StatusNotFound
		}
		pl := r.live
		if pl == nil {
			return nil, http.StatusServiceUnavailable
		}
		pl.inFlight.Add(1)
		if p.table.Load() == t {
			return pl, 0
		}
		pl.inFlight.Add(-1)
	}
}

// newHandler builds the reverse proxy of one pool.
func (p *Proxy) newHandler(pl *pool) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:      p.rewrite,
		Transport:    &poolTransport{pool: pl, base: p.transport},
		ErrorHandler: p.backendError(pl),
		BufferPool:   p.buffers,
	}
}
