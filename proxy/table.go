package proxy

import (
	"maps"
	"strings"
)

// route is one service as the request path sees it. A route is never changed
// once a table holding it is published: a change makes a new route, so the
// routes of other services can be shared between tables.
type route struct {
	service string
	// state is what outlives tables: the operator's toggles and the
	// passive-ejection policy, read with atomics on the request path.
	state *serviceState
	// tokens are the preview tokens; empty ones were dropped, since an empty
	// header must never open the preview.
	tokens [][]byte
	// hosts are the normalized names (live and preview) that lead here, so a
	// change rewrites only those entries of the copied host map.
	hosts   []string
	live    *pool // nil while no slot of the service is live
	preview *pool // nil while no preview slot is set
}

// hostRoute is where a host name leads: a service, through its live route or
// its preview route. A value, so that a lookup does not allocate.
type hostRoute struct {
	route   *route
	preview bool
}

// table is the immutable routing table. A change builds a new table and
// swaps the proxy's pointer, so the request path reads it without a lock.
type table struct {
	byHost   map[string]hostRoute
	byName   map[string]*route
	fallback *route // the default service, for hosts no service names
}

func newTable() *table {
	return &table{byHost: map[string]hostRoute{}, byName: map[string]*route{}}
}

// lookup returns the route of a host and whether the host is a preview name.
func (t *table) lookup(host string) (r *route, preview bool) {
	if hr, ok := t.byHost[host]; ok {
		return hr.route, hr.preview
	}
	return t.fallback, false
}

// with returns a copy of t in which the route of service (which must exist)
// is replaced by a copy that change modified.
func (t *table) with(service string, change func(*route)) *table {
	old := t.byName[service]
	nr := *old
	change(&nr)
	next := &table{byHost: maps.Clone(t.byHost), byName: maps.Clone(t.byName), fallback: t.fallback}
	next.byName[service] = &nr
	for _, h := range old.hosts {
		// A host that two services claim belongs to the one named last.
		if hr := next.byHost[h]; hr.route == old {
			next.byHost[h] = hostRoute{route: &nr, preview: hr.preview}
		}
	}
	if t.fallback == old {
		next.fallback = &nr
	}
	return next
}

// normalizeHost lower-cases a Host header and strips its port and any
// trailing dot, without allocating for the common already-lower case.
func normalizeHost(h string) string {
	if strings.HasPrefix(h, "[") {
		if end := strings.IndexByte(h, ']'); end > 0 {
			h = h[1:end]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h, ':') == i {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	return strings.ToLower(h)
}
