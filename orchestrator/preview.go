package orchestrator

import (
	"crypto/rand"
	"net"
	"net/http"
	"time"

	"deploy/proxy"
)

// previewHeader carries a preview token; the proxy strips it before the
// request goes upstream.
const previewHeader = proxy.PreviewHeader

// newPreviewToken is the controller's own preview token: checks reach the
// preview slot through the proxy with it even when the config names neither
// preview hosts nor a token. It lives as long as the controller process.
func newPreviewToken() string { return rand.Text() }

// refreshPreview points the service's preview route at its running slot
// that is not live and started last (after an up, the new slot; after a
// switch, the previous one, still warm), or clears it when there is none.
func (c *Controller) refreshPreview(s *service) {
	live := c.view().Service(s.conf().Name).Live
	var pick *slotRun
	var pickStarted time.Time
	for _, sc := range s.conf().Slots {
		run := s.run(sc.Name)
		if run == nil || sc.Name == live {
			continue
		}
		if pick == nil || run.startedAt.After(pickStarted) {
			pick, pickStarted = run, run.startedAt
		}
	}
	if pick == nil {
		c.proxy.ClearPreview(s.conf().Name)
		return
	}
	c.previewSlot(s, pick)
}

// previewSlot points the service's preview route at a running slot.
func (c *Controller) previewSlot(s *service, run *slotRun) {
	if err := c.proxy.SetPreview(s.conf().Name, run.backend()); err != nil {
		c.log.Error("set preview route", "service", s.conf().Name, "slot", run.name, "err", err)
	}
}

// proxyAddr is where the controller itself reaches its proxy: the first
// listen address, with a wildcard host replaced by loopback.
func (c *Controller) proxyAddr() string {
	return selfAddr(c.conf().Proxy.Listen[0])
}

// proxyHTTPSAddr is proxyAddr's counterpart for the first TLS listener.
func (c *Controller) proxyHTTPSAddr() string {
	return selfAddr(c.conf().Proxy.HTTPSListen[0])
}

// redirectsToHTTPS reports whether the plain listener answers host with
// nothing but a redirect, so that a check must go through TLS to reach the
// service.
func (c *Controller) redirectsToHTTPS(host string) bool {
	return c.certs != nil && c.conf().Proxy.RedirectHTTP && c.certs.Has(host)
}

// selfAddr turns a listen address into one to connect to.
func selfAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}

// previewHeaders are what a check sends through the proxy to reach the
// preview slot rather than the live one.
func (c *Controller) previewHeaders() http.Header {
	return http.Header{previewHeader: []string{c.previewToken}}
}
