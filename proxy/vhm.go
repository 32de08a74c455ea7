package proxy

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// VirtualHost turns on VirtualHostMonster rewriting for a service. Zope
// writes absolute URLs into its pages; behind a proxy it would write the
// instance's own address (http://127.0.0.1:8081/Plone/news). The proxy tells
// it the public URL in the path of every request, as the apache RewriteRule
// in front of Zope used to:
//
//	/VirtualHostBase/https/www.example.org:443/Plone/VirtualHostRoot/news
//
// Root and PathPrefix are object paths as Zope names them, not escaped; they
// are cleaned like path.Clean, so "Plone/" is "/Plone".
type VirtualHost struct {
	Root       string // Zope object path of the site, e.g. "/Plone" ("/" for the Zope root)
	PathPrefix string // inside-out hosting prefix, e.g. "/intranet"; "" when none
}

// vhost is a VirtualHost prepared once by Configure, so that a request only
// checks its path and concatenates strings.
type vhost struct {
	// tail follows the host and port in every rewritten path: the site's
	// object path, VirtualHostRoot and the prefix's _vh_ segments
	// ("/Plone/VirtualHostRoot/_vh_intranet").
	tail pathForms
	// prefix is the inside-out hosting prefix ("/intranet"), "" when none.
	prefix pathForms
}

// pathForms is one path in its escaped form (what goes on the wire, as
// URL.RawPath) and its decoded form (URL.Path). Both are needed: the request
// line is written from RawPath only when it decodes to Path exactly.
type pathForms struct{ esc, dec string }

func (f *pathForms) add(literal, segment string) {
	f.esc += literal + url.PathEscape(segment)
	f.dec += literal + segment
}

// vhmBase starts every rewritten path.
const vhmBase = "/VirtualHostBase/"

func newVhost(v *VirtualHost) *vhost {
	if v == nil {
		return nil
	}
	var vh vhost
	for _, s := range objectPath(v.Root) {
		vh.tail.add("/", s)
	}
	vh.tail.add("/VirtualHostRoot", "")
	for _, s := range objectPath(v.PathPrefix) {
		vh.tail.add("/_vh_", s)
		vh.prefix.add("/", s)
	}
	return &vh
}

// objectPath splits a cleaned object path into its names; the root has none.
func objectPath(p string) []string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// request returns the request as it goes to Zope, or the answer the proxy
// gives instead. The request is copied the way http.StripPrefix does it, in
// one allocation: a handler must not change the request it was given.
func (v *vhost) request(r *http.Request) (*http.Request, *reply) {
	host, ok := vhmHost(r.Host)
	// An opaque request target ("GET a:0") has no path to rewrite: sent
	// on as it came, it would reach Zope outside the VirtualHostMonster.
	if !ok || r.URL.Opaque != "" {
		return nil, badRequestReply
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	raw, decoded, answer := v.upstreamPath(scheme, host, listenerPort(r, scheme), r.URL.EscapedPath(), r.URL.Path)
	if answer != nil {
		return nil, answer
	}
	c := new(struct {
		req http.Request
		url url.URL
	})
	c.req, c.url = *r, *r.URL
	c.url.RawPath, c.url.Path = raw, decoded
	c.req.URL = &c.url
	return &c.req, nil
}

// upstreamPath returns the path Zope is sent, escaped and decoded, for a
// request path given in both forms (URL.EscapedPath and URL.Path). The
// client's path is only ever appended after VirtualHostRoot, so a path that
// starts with /VirtualHostBase cannot choose the host Zope writes. Answers
// instead of a path:
//   - 404 for a path outside the inside-out prefix: visitors of such a site
//     only see the prefix.
//   - 400 for a ".." segment, escaped or not: Zope resolves ".." over the
//     whole rewritten path before the VirtualHostMonster reads it, so it
//     would climb out of the site, or past the proxy's VirtualHostBase to
//     the client's own.
func (v *vhost) upstreamPath(scheme, host string, port int, escaped, decoded string) (raw, dec string, answer *reply) {
	if escaped == "" {
		escaped, decoded = "/", "/"
	}
	if !underPrefix(escaped, v.prefix.esc) || !underPrefix(decoded, v.prefix.dec) {
		return "", "", notFoundReply
	}
	if hasDotDot(decoded) {
		return "", "", badRequestReply
	}
	restEsc, restDec := escaped[len(v.prefix.esc):], decoded[len(v.prefix.dec):]
	if restEsc == "" {
		restEsc, restDec = "/", "/"
	}
	// Both forms share one allocation; the decoded one is only built when
	// it differs from the escaped one (the host never holds a '%').
	var portBuf [20]byte
	portText := strconv.AppendInt(portBuf[:0], int64(port), 10)
	head := len(vhmBase) + len(scheme) + 1 + len(host) + 1 + len(portText)
	same := v.tail.esc == v.tail.dec && restEsc == restDec
	var b strings.Builder
	if same {
		b.Grow(head + len(v.tail.esc) + len(restEsc))
	} else {
		b.Grow(2*head + len(v.tail.esc) + len(restEsc) + len(v.tail.dec) + len(restDec))
	}
	writeVHMHead(&b, scheme, host, portText)
	b.WriteString(v.tail.esc)
	b.WriteString(restEsc)
	if same {
		s := b.String()
		return s, s, nil
	}
	n := b.Len()
	writeVHMHead(&b, scheme, host, portText)
	b.WriteString(v.tail.dec)
	b.WriteString(restDec)
	s := b.String()
	return s[:n], s[n:], nil
}

// writeVHMHead writes /VirtualHostBase/scheme/host:port.
func writeVHMHead(b *strings.Builder, scheme, host string, port []byte) {
	b.WriteString(vhmBase)
	b.WriteString(scheme)
	b.WriteByte('/')
	b.WriteString(host)
	b.WriteByte(':')
	b.Write(port)
}

// underPrefix reports whether p is prefix or lies below it, segment-wise:
// "/intranetx" is not under "/intranet". Every path is under "".
func underPrefix(p, prefix string) bool {
	return strings.HasPrefix(p, prefix) && (len(p) == len(prefix) || p[len(prefix)] == '/')
}

// hasDotDot reports whether a decoded path has a ".." segment.
func hasDotDot(p string) bool {
	if !strings.Contains(p, "..") {
		return false
	}
	for p != "" {
		seg := p
		if i := strings.IndexByte(p, '/'); i >= 0 {
			seg, p = p[:i], p[i+1:]
		} else {
			p = ""
		}
		if seg == ".." {
			return true
		}
	}
	return false
}

// vhmHost returns the host name as VirtualHostBase carries it: lower-cased,
// without port or trailing dot, IPv6 literals in brackets. Only the bytes
// of host names and IP literals are accepted: the name is put into a path
// that Zope decodes, so a Host of "x%2FVirtualHostRoot" (which the default
// service would answer) must not get there.
func vhmHost(hostHeader string) (string, bool) {
	h := normalizeHost(hostHeader)
	if strings.IndexByte(h, ':') >= 0 {
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false
		}
		return "[" + h + "]", true
	}
	if h == "" {
		return "", false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "", false
		}
	}
	return h, true
}

// listenerPort is the port of the listener the request came in on: the
// public port, which the Host header may leave out (and a client may forge).
// Without a TCP listener (a Unix socket, a direct ServeHTTP call) the
// scheme's default port is used.
func listenerPort(r *http.Request, scheme string) int {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok && a.Port != 0 {
		return a.Port
	}
	if scheme == "https" {
		return 443
	}
	return 80
}
