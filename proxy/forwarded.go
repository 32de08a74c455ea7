package proxy

import (
	"net/http/httputil"
	"net/netip"
)

// rewrite prepares the request for the instance. The Host header is kept as
// the client sent it (virtual hosting in the application depends on it); the
// X-Forwarded-* headers are set by the proxy, and a trusted front proxy's
// values are carried on instead of replaced. A preview token never goes
// upstream, matching or not: the application could log or echo it.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.Out.URL.Scheme = "http"
	delete(pr.Out.Header, PreviewHeader)
	trusted := p.trusted(pr.In.RemoteAddr)
	if trusted {
		if prior := pr.In.Header["X-Forwarded-For"]; len(prior) > 0 {
			pr.Out.Header["X-Forwarded-For"] = prior
		}
	}
	pr.SetXForwarded()
	if trusted {
		for _, h := range []string{"X-Forwarded-Host", "X-Forwarded-Proto"} {
			if v := pr.In.Header.Get(h); v != "" {
				pr.Out.Header.Set(h, v)
			}
		}
	}
}

// trusted reports whether the peer is one whose forwarding headers we keep.
func (p *Proxy) trusted(remoteAddr string) bool {
	if len(p.opts.TrustedProxies) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, pfx := range p.opts.TrustedProxies {
		if pfx.Contains(addr) {
			return true
		}
	}
	return false
}
