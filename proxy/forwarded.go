package proxy

import (
	"net"
	"net/http/httputil"
	"net/netip"
	"strings"
)

// rewrite prepares the request for the instance. The Host header is kept as
// the client sent it (virtual hosting in the application depends on it).
// The proxy sets the forwarding headers it vouches for: X-Forwarded-For,
// X-Forwarded-Host, X-Forwarded-Proto, Forwarded and X-Real-IP. A client's
// own are replaced, unless it is a trusted front proxy: then its
// X-Forwarded-For and Forwarded chains are carried on with this hop
// appended, and its X-Forwarded-Host, X-Forwarded-Proto and X-Real-IP kept.
// A preview token never goes upstream, matching or not: the application
// could log or echo it.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.Out.URL.Scheme = "http"
	dropLookalikes(pr.Out.Header)
	delete(pr.Out.Header, PreviewHeader)
	trusted := p.trusted(pr.In.RemoteAddr)
	if trusted {
		if prior := pr.In.Header["X-Forwarded-For"]; len(prior) > 0 {
			pr.Out.Header["X-Forwarded-For"] = prior
		}
	}
	// ReverseProxy removed the client's Forwarded and X-Forwarded-*
	// before calling us; X-Real-IP, which it does not know, goes here.
	delete(pr.Out.Header, "X-Real-Ip")
	pr.SetXForwarded()
	proto := pr.Out.Header.Get("X-Forwarded-Proto")
	peer, _, err := net.SplitHostPort(pr.In.RemoteAddr)
	if err != nil {
		// No IP peer (a direct ServeHTTP call): nothing to vouch for.
		return
	}
	forwarded := forwardedElement(peer, pr.In.Host, proto)
	realIP := peer
	if trusted {
		if prior := pr.In.Header["Forwarded"]; len(prior) > 0 {
			forwarded = strings.Join(prior, ", ") + ", " + forwarded
		}
		if v := pr.In.Header.Get("X-Real-Ip"); v != "" {
			realIP = v
		}
		for _, h := range []string{"X-Forwarded-Host", "X-Forwarded-Proto"} {
			if v := pr.In.Header.Get(h); v != "" {
				pr.Out.Header.Set(h, v)
			}
		}
	}
	pr.Out.Header["Forwarded"] = []string{forwarded}
	pr.Out.Header["X-Real-Ip"] = []string{realIP}
}

// forwardedElement is this hop's element of the Forwarded header (RFC
// 7239): for=, host= and proto=, with an IPv6 peer and the host quoted.
func forwardedElement(peer, host, proto string) string {
	node := peer
	if strings.IndexByte(peer, ':') >= 0 {
		node = `"[` + peer + `]"`
	}
	if host == "" {
		return "for=" + node + ";proto=" + proto
	}
	return "for=" + node + ";host=" + quoteForwarded(host) + ";proto=" + proto
}

// quoteForwarded makes s a quoted-string. net/http lets no quote or
// backslash into a Host header, so escaping them is for safety only.
func quoteForwarded(s string) string {
	if strings.ContainsAny(s, `"\`) {
		s = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
	}
	return `"` + s + `"`
}

// vouchedHeaders are the headers whose values the proxy answers for: the
// forwarding headers it sets and the preview token it removes.
var vouchedHeaders = [...]string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded", "X-Real-Ip", PreviewHeader}

// dropLookalikes removes headers that spell a vouched one with underscores
// ("X_Forwarded_For"). net/http keeps them apart, but CGI and WSGI servers
// (Zope's included) name both HTTP_X_FORWARDED_FOR, so a client's would
// stand in for, or next to, the proxy's.
func dropLookalikes(h map[string][]string) {
	for k := range h {
		if strings.IndexByte(k, '_') < 0 {
			continue
		}
		for _, v := range vouchedHeaders {
			if sameCGIName(k, v) {
				delete(h, k)
				break
			}
		}
	}
}

// sameCGIName reports whether two header names become the same CGI
// variable: equal but for case and for '-' against '_'.
func sameCGIName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := cgiByte(a[i]), cgiByte(b[i])
		if x != y {
			return false
		}
	}
	return true
}

func cgiByte(c byte) byte {
	switch {
	case c == '-':
		return '_'
	case 'a' <= c && c <= 'z':
		return c - 'a' + 'A'
	}
	return c
}

// trusted reports whether the peer is one whose forwarding headers we keep.
func (p *Proxy) trusted(remoteAddr string) bool {
	return peerIn(p.opts.TrustedProxies, remoteAddr)
}

// peerIn reports whether the peer of a connection (its "ip:port") is in one
// of the prefixes.
func peerIn(prefixes []netip.Prefix, remoteAddr string) bool {
	if len(prefixes) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, pfx := range prefixes {
		if pfx.Contains(addr) {
			return true
		}
	}
	return false
}
