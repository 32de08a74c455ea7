package proxy

import (
	"sync/atomic"
	"time"
)

// defaultEjectFor is how long an instance stays out of rotation after too
// many 5xx answers when the service names no duration (Envoy's outlier
// detection uses the same base ejection time).
const defaultEjectFor = 30 * time.Second

// Service is how one service is reached: its host names, whether it answers
// hosts that no service names, how its preview slot is reached, and when an
// instance that keeps failing is taken out of rotation.
type Service struct {
	Name    string
	Hosts   []string
	Default bool
	// PreviewHosts route every request to the service's preview slot.
	PreviewHosts []string
	// PreviewTokens: a request routed to the service whose X-Deploy-Preview
	// header equals one of these goes to the preview slot. Empty tokens are
	// ignored.
	PreviewTokens []string
	// Eject5xx 5xx answers in a row from one instance take it out of
	// rotation for EjectFor (30s when zero); Eject5xx 0 turns this off.
	Eject5xx int
	EjectFor time.Duration
	// VirtualHost, when set, rewrites every request of the service (preview
	// ones too) for Zope's VirtualHostMonster; nil: paths go as they came.
	VirtualHost *VirtualHost
	// Cache, when set, keeps the service's cacheable answers (per release).
	Cache *CacheOptions
}

// serviceState is what a service keeps from one Configure to the next. The
// request path reads it with atomic loads only: a nil maintenance, pause and
// vhost cost one pointer load each.
type serviceState struct {
	eject       atomic.Pointer[ejectPolicy]
	maintenance atomic.Pointer[reply]     // nil when off
	pause       atomic.Pointer[pauseGate] // nil when not paused
	// vhost lives here rather than in the route because a request reaches
	// its service's settings through its pool, which holds this state.
	vhost atomic.Pointer[vhost]        // nil: no VirtualHostMonster rewriting
	cache atomic.Pointer[serviceCache] // nil: nothing is cached
}

// ejectPolicy is the passive-ejection setting of a service; immutable, so
// that a pool reads both numbers of one Configure together.
type ejectPolicy struct {
	after    int64 // consecutive 5xx answers; 0 = off
	duration time.Duration
}

func newEjectPolicy(s Service) *ejectPolicy {
	d := s.EjectFor
	if d <= 0 {
		d = defaultEjectFor
	}
	return &ejectPolicy{after: int64(max(s.Eject5xx, 0)), duration: d}
}

// Configure sets the services, their host names and settings (virtual
// hosting included, which takes effect with the next request). Services that
// stay keep their live and preview slots, maintenance and pause; services
// that go are no longer routed, and requests held by their pause are let go
// to find whatever the new table says of their host.
func (p *Proxy) Configure(services []Service) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.table.Load()
	next := newTable()
	for _, s := range services {
		r := &route{service: s.Name, state: &serviceState{}, tokens: previewTokens(s.PreviewTokens)}
		if prev, ok := old.byName[s.Name]; ok {
			r.state, r.live, r.preview = prev.state, prev.live, prev.preview
		}
		r.state.eject.Store(newEjectPolicy(s))
		r.state.vhost.Store(newVhost(s.VirtualHost))
		configureCache(r.state, s.Cache)
		next.byName[s.Name] = r
		for _, h := range s.PreviewHosts {
			h = normalizeHost(h)
			next.byHost[h] = hostRoute{route: r, preview: true}
			r.hosts = append(r.hosts, h)
		}
		for _, h := range s.Hosts {
			h = normalizeHost(h)
			next.byHost[h] = hostRoute{route: r}
			r.hosts = append(r.hosts, h)
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
	for name, r := range old.byName {
		if _, ok := next.byName[name]; !ok {
			if g := r.state.pause.Swap(nil); g != nil {
				g.release()
			}
		}
	}
}

func previewTokens(tokens []string) [][]byte {
	var out [][]byte
	for _, t := range tokens {
		if t != "" {
			out = append(out, []byte(t))
		}
	}
	return out
}
