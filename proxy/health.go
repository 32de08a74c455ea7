package proxy

import "net/http"

// isHealthCheck reports whether the request asks whether the proxy itself is
// up: it is answered before any routing, whatever the host or the state of
// the service.
func (p *Proxy) isHealthCheck(r *http.Request) bool {
	return p.opts.HealthPath != "" && r.URL.Path == p.opts.HealthPath &&
		(r.Method == http.MethodGet || r.Method == http.MethodHead)
}

// SetInstanceHealth records the controller's active-probe verdict on one
// instance. An unhealthy instance gets no requests while a sibling can take
// them; when none can, the slot is served anyway, so that a slot that
// recovers before its probes say so is found again. Unknown pools and
// addresses are ignored: the probe may report on a slot just forgotten.
func (p *Proxy) SetInstanceHealth(service, slot, addr string, healthy bool) {
	pl := p.lookupPool(service, slot)
	if pl == nil {
		return
	}
	for _, in := range pl.instances {
		if in.addr == addr {
			in.unhealthy.Store(!healthy)
		}
	}
}
