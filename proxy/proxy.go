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
	"time"
)

// Sentinel errors of routing changes.
var (
	ErrUnknownService = errors.New("unknown service")
	ErrNoInstances    = errors.New("a slot needs at least one instance address")
	ErrUnknownSlot    = errors.New("no such slot or instance in the proxy")
)

// Options configure a Proxy.
type Options struct {
	// TrustedProxies are the peers whose X-Forwarded-* headers are kept;
	// everyone else's are replaced.
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger
	// HealthPath, when set, is answered 200 by the proxy itself for GET and
	// HEAD on any host, so a load balancer in front can tell the proxy is
	// up whatever the state of the services behind it.
	HealthPath string
}

// Backend is one slot of a service, the release it runs and the addresses
// of its instances.
type Backend struct {
	Slot    string
	Release string
	Addrs   []string
}

// Proxy routes requests to the live slot of the service their Host names.
type Proxy struct {
	opts      Options
	log       *slog.Logger
	transport http.RoundTripper
	buffers   *bufferPool

	table atomic.Pointer[table]

	// replies counts the answers the proxy gave by itself, by reason;
	// accessLog is nil while requests are not logged.
	replies   [replyReasons]atomic.Uint64
	accessLog atomic.Pointer[accessLog]

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
	p.table.Store(newTable())
	return p
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
	target := p.poolFor(r, to)
	prev := r.live
	p.table.Store(old.with(service, func(nr *route) { nr.live = target }))
	if prev == nil || prev == target {
		return nil, nil
	}
	return &Drain{proxy: p, pool: prev}, nil
}

// poolFor returns the pool of the slot, replacing it when the slot's
// addresses or release changed (a slot restarted on other ports or with
// another release). Callers hold p.mu.
func (p *Proxy) poolFor(r *route, b Backend) *pool {
	k := poolKey{r.service, b.Slot}
	if pl, ok := p.pools[k]; ok && pl.release == b.Release && pl.sameAddrs(b.Addrs) {
		return pl
	}
	pl := &pool{service: r.service, slot: b.Slot, release: b.Release, state: r.state, unreached: newAnswered(), cached: newAnswered()}
	byAddr := map[string]*answered{}
	for _, a := range b.Addrs {
		// An address listed twice gets one set of request metrics, so that
		// a scrape never reports the same series twice.
		if byAddr[a] == nil {
			byAddr[a] = newAnswered()
		}
		pl.instances = append(pl.instances, &instance{addr: a, lean: newUpstream(a), answered: byAddr[a]})
	}
	pl.handler = p.newHandler(pl)
	p.pools[k] = pl
	return pl
}

// lookupPool returns the current pool of a slot, or nil.
func (p *Proxy) lookupPool(service, slot string) *pool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pools[poolKey{service, slot}]
}

// Live returns the live slot of a service and its instance addresses.
func (p *Proxy) Live(service string) (slot string, addrs []string) {
	r, ok := p.table.Load().byName[service]
	if !ok || r.live == nil {
		return "", nil
	}
	return r.live.slot, r.live.addrs()
}

// InFlight returns how many requests are in flight to a slot of a service,
// preview requests included.
func (p *Proxy) InFlight(service, slot string) int64 {
	pl := p.lookupPool(service, slot)
	if pl == nil {
		return 0
	}
	return pl.inFlight.Load()
}

// Forget drops a slot's pool once the slot is stopped, so a later start on
// other ports begins from a fresh pool. The live slot and the preview slot
// cannot be forgotten.
func (p *Proxy) Forget(service, slot string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := poolKey{service, slot}
	pl := p.pools[k]
	if pl == nil || p.isRouted(pl) {
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

// ServeHTTP sends the request to the live slot of its service, or to its
// preview slot, rewritten for Zope's VirtualHostMonster when the service
// asks for it, unless the proxy answers it itself. Every request is observed
// once it ends, for the metrics and the access log.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o := newObservation(w)
	// Deferred, so that a response cut short by a panic (ReverseProxy
	// aborts with http.ErrAbortHandler when a body copy fails) is observed
	// too; r is the request as it came, whatever is rewritten below.
	defer p.finish(o, r)
	if p.isHealthCheck(r) {
		o.answer(healthReply)
		return
	}
	if r.Method == methodPurge {
		o.answer(p.purge(r, o))
		return
	}
	pl, answer := p.acquire(r, o)
	if pl == nil {
		if answer != nil { // nil: the client left while held by a pause
			o.answer(answer)
		}
		return
	}
	defer pl.inFlight.Add(-1)
	r = o.relay(pl, r)
	if !p.serveCached(o, pl, r) {
		forward(&o.rec, r, pl)
	}
}

// forward sends a request to its pool, rewritten for Zope's
// VirtualHostMonster when the service asks for it. The cache keys on the
// request as the client sent it and forwards its misses through here, so
// that an operator purges the paths visitors see.
func forward(w http.ResponseWriter, r *http.Request, pl *pool) {
	if vh := pl.state.vhost.Load(); vh != nil {
		// Read once: the check and the rewrite must agree even when a
		// Configure changes the service's virtual hosting meanwhile.
		var answer *reply
		if r, answer = vh.request(r); answer != nil {
			answer.write(w)
			return
		}
	}
	pl.handler.ServeHTTP(w, r)
}

// acquire picks the pool for a request and counts the request in it. The
// count is taken before the table is read a second time: if a switch slipped
// in between, the request backs out and follows the new table, so a drain
// that saw zero in flight can never be followed by a request to that slot.
// A request held by a pause is not counted anywhere while it waits, and
// reads the table afresh once let go. Without a pool, acquire returns the
// answer to give instead (nil when the client went away). It notes on o the
// service and whether the request is a preview, which the proxy's own
// answers are logged with too.
func (p *Proxy) acquire(r *http.Request, o *observation) (*pool, *reply) {
	host := normalizeHost(r.Host)
	var heldSince time.Time
	for {
		t := p.table.Load()
		rt, preview := t.lookup(host)
		if rt == nil {
			// A held request whose service was removed meanwhile is no
			// longer that service's.
			o.service, o.preview = "", false
			return nil, notFoundReply
		}
		pl := rt.live
		o.service, o.preview = rt.service, preview || rt.wantsPreview(r.Header)
		if o.preview {
			// Maintenance and pause hold back visitors, not the operators
			// who check the new slot through its preview.
			pl = rt.preview
		} else {
			if m := rt.state.maintenance.Load(); m != nil {
				return nil, m
			}
			if g := rt.state.pause.Load(); g != nil {
				if heldSince.IsZero() {
					heldSince = time.Now()
				}
				switch g.wait(r.Context(), g.max-time.Since(heldSince)) {
				case waitTimedOut:
					return nil, pausedTooLongReply
				case waitClientGone:
					return nil, nil
				}
				continue
			}
		}
		if pl == nil {
			return nil, unavailableReply
		}
		pl.inFlight.Add(1)
		if p.table.Load() == t {
			return pl, nil
		}
		pl.inFlight.Add(-1)
	}
}

// newHandler builds the reverse proxy of one pool.
func (p *Proxy) newHandler(pl *pool) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:      p.rewrite,
		Transport:    &poolTransport{pool: pl, base: p.transport, log: p.log},
		ErrorHandler: p.backendError(pl),
		BufferPool:   p.buffers,
	}
}
