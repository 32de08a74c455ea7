package proxy

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Page is what visitors of a service in maintenance read.
type Page struct {
	// Body is the page; empty: the proxy's own 503 text.
	Body []byte
	// ContentType of Body; empty: sniffed from Body.
	ContentType string
	// RetryAfter is sent as Retry-After in whole seconds, rounded up, at
	// least 1.
	RetryAfter time.Duration
}

// SetMaintenance turns maintenance of a service on or off. While on, the
// service's live requests are answered 503 with the page and nothing reaches
// its instances; preview requests still go through, so operators can check
// a slot. The page is ignored when turning maintenance off.
func (p *Proxy) SetMaintenance(service string, on bool, page Page) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.table.Load().byName[service]
	if !ok {
		return fmt.Errorf("maintenance of %s: %w", service, ErrUnknownService)
	}
	if !on {
		r.state.maintenance.Store(nil)
		return nil
	}
	r.state.maintenance.Store(maintenanceReply(page))
	return nil
}

// Maintenance reports whether the service is in maintenance.
func (p *Proxy) Maintenance(service string) bool {
	r, ok := p.table.Load().byName[service]
	return ok && r.state.maintenance.Load() != nil
}

func maintenanceReply(page Page) *reply {
	rp := builtinReply(http.StatusServiceUnavailable, "").because(replyMaintenance)
	if len(page.Body) > 0 {
		// A copy: the caller may reuse its slice while we keep serving ours.
		rp.body = append([]byte(nil), page.Body...)
		rp.contentType = page.ContentType
		if rp.contentType == "" {
			rp.contentType = http.DetectContentType(rp.body)
		}
	}
	secs := max(int64((page.RetryAfter+time.Second-1)/time.Second), 1)
	rp.retryAfter = strconv.FormatInt(secs, 10)
	return rp
}
