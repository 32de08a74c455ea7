package proxy

import (
	"crypto/subtle"
	"fmt"
	"net/http"
)

// PreviewHeader carries a preview token. The proxy removes it from every
// request before it goes upstream, so a token never reaches the application.
const PreviewHeader = "X-Deploy-Preview"

// SetPreview sends the service's preview requests (its preview hosts, and
// requests carrying one of its preview tokens) to the backend. The preview
// shares the slot's pool with the live route, so in-flight counts and drains
// cover preview traffic too.
func (p *Proxy) SetPreview(service string, to Backend) error {
	if len(to.Addrs) == 0 {
		return fmt.Errorf("preview %s on %s: %w", service, to.Slot, ErrNoInstances)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.table.Load()
	r, ok := old.byName[service]
	if !ok {
		return fmt.Errorf("preview %s on %s: %w", service, to.Slot, ErrUnknownService)
	}
	pl := p.poolFor(r, to)
	p.table.Store(old.with(service, func(nr *route) { nr.preview = pl }))
	return nil
}

// ClearPreview stops the service's preview: preview requests get 503 until
// the next SetPreview. Unknown services are ignored.
func (p *Proxy) ClearPreview(service string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.table.Load()
	if r, ok := old.byName[service]; ok && r.preview != nil {
		p.table.Store(old.with(service, func(nr *route) { nr.preview = nil }))
	}
}

// Preview returns the service's preview slot, "" when none.
func (p *Proxy) Preview(service string) (slot string) {
	if r, ok := p.table.Load().byName[service]; ok && r.preview != nil {
		return r.preview.slot
	}
	return ""
}

// wantsPreview reports whether the request carries one of the route's
// preview tokens. Every token is compared, each in constant time, so the
// answer's timing tells neither how close a guess came nor which token
// matched.
func (r *route) wantsPreview(h http.Header) bool {
	if len(r.tokens) == 0 {
		return false
	}
	v := h[PreviewHeader]
	if len(v) == 0 || v[0] == "" {
		return false
	}
	got := []byte(v[0])
	match := 0
	for _, t := range r.tokens {
		match |= subtle.ConstantTimeCompare(got, t)
	}
	return match == 1
}
