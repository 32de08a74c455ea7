package proxy

import "strings"

// route is one service as the request path sees it.
type route struct {
	service string
	live    *pool // nil while no slot of the service is live
}

// table is the immutable routing table. A change builds a new table and
// swaps the proxy's pointer, so the request path reads it without a lock.
type table struct {
	byHost   map[string]*route
	byName   map[string]*route
	fallback *route // the default service, for hosts no service names
}

func (t *table) lookup(host string) *route {
	if r, ok := t.byHost[host]; ok {
		return r
	}
	return t.fallback
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
