package proxy

import (
	"net/http/httputil"
	"sync/atomic"
	"time"
)

// ejectFor is how long an instance that refused a connection stays out of
// rotation before the pool tries it again.
const ejectFor = time.Second

// instance is one backend process of a slot, addressed as host:port.
type instance struct {
	addr string
	lean *upstream
	// ejectedUntil is a UnixNano deadline; zero or past means in rotation.
	ejectedUntil atomic.Int64
	// unhealthy is the controller's last active-probe verdict; the zero
	// value trusts the instance until a probe says otherwise.
	unhealthy atomic.Bool
	// draining is set while the controller restarts the instance: it gets
	// no new request at all, not even as a last resort.
	draining atomic.Bool
	// inFlight counts the requests sent to the instance whose answer has
	// not been relayed to the end.
	inFlight atomic.Int64
	// consecutive5xx counts the 5xx answers in a row, for passive ejection.
	consecutive5xx atomic.Int64
	stats          counters
	// answered counts the client requests whose answer this instance gave;
	// shared by the entries of an address listed twice in one slot.
	answered *answered
}

func (i *instance) available(now int64) bool {
	return !i.unhealthy.Load() && i.ejectedUntil.Load() <= now
}

func (i *instance) eject(d time.Duration) { i.ejectedUntil.Store(time.Now().Add(d).UnixNano()) }

// pool holds the instances of one slot of one service and counts the requests
// in flight to them. A pool lives as long as its slot keeps the same
// addresses; routing tables point at pools, so a switch never resets a count.
type pool struct {
	service   string
	slot      string
	release   string
	state     *serviceState // the service's, for its ejection policy
	instances []*instance
	next      atomic.Uint64
	inFlight  atomic.Int64
	stats     counters
	// unreached counts the client requests of the slot that no instance
	// answered: backend errors, paths the rewriting refused, clients gone.
	unreached *answered
	// cached counts the client requests the service's cache answered.
	cached  *answered
	handler *httputil.ReverseProxy
}

// pick returns the next instance in round-robin order, skipping unhealthy
// and ejected ones (none left: the next one anyway, so a recovered slot is
// found again), and never the one in avoid.
func (p *pool) pick(avoid *instance) *instance {
	n := uint64(len(p.instances))
	if n == 0 {
		return nil
	}
	start := p.next.Add(1)
	now := time.Now().UnixNano()
	var fallback *instance
	for k := range n {
		in := p.instances[(start+k)%n]
		if in == avoid {
			continue
		}
		if in.available(now) && !in.draining.Load() {
			return in
		}
		if fallback == nil && !in.draining.Load() {
			fallback = in
		}
	}
	return fallback
}

func (p *pool) sameAddrs(addrs []string) bool {
	if len(addrs) != len(p.instances) {
		return false
	}
	for i, a := range addrs {
		if p.instances[i].addr != a {
			return false
		}
	}
	return true
}

func (p *pool) addrs() []string {
	out := make([]string, len(p.instances))
	for i, in := range p.instances {
		out[i] = in.addr
	}
	return out
}
