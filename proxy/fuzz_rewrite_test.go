package proxy

import (
	"bufio"
	"context"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"strings"
	"testing"
)

// Peers of the fuzzed requests: the proxy trusts the second.
const (
	fuzzUntrustedPeer = "192.0.2.7"
	fuzzTrustedPeer   = "10.0.0.9"
	fuzzListenerPort  = "8080"
)

// fuzzSites are the virtual hosting settings a fuzzed request meets, with
// what follows host:port in each one's rewritten paths; nil is a service
// without virtual hosting.
var fuzzSites = []struct {
	vh   *VirtualHost
	tail string
}{
	{nil, ""},
	{&VirtualHost{Root: "/Plone"}, "/Plone/VirtualHostRoot"},
	{&VirtualHost{Root: "/Plone", PathPrefix: "/intranet"}, "/Plone/VirtualHostRoot/_vh_intranet"},
	{&VirtualHost{Root: "/"}, "/VirtualHostRoot"},
}

// capturedRequest is a transport that keeps the request it is given instead
// of sending it, and answers 200.
type capturedRequest struct{ req *http.Request }

func (c *capturedRequest) RoundTrip(req *http.Request) (*http.Response, error) {
	c.req = req
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// FuzzRewrite sends requests with arbitrary Host, target and forwarding
// headers, as net/http parses them, through the proxy's rewriting: the
// VirtualHostMonster path of a Zope site, then the reverse proxy with the
// proxy's header rewrite. Whatever comes in, nothing panics and either the
// request is refused or what would go to the instance has exactly one
// X-Forwarded-For ending with the peer, the proxy's own forwarding headers
// for an untrusted peer, no preview token under any spelling, and, for a
// Zope site, a path that starts with the proxy's /VirtualHostBase/ for the
// request's own host.
// Seeds live in testdata/fuzz/FuzzRewrite.
func FuzzRewrite(f *testing.F) {
	p := New(Options{
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		Logger:         slog.New(slog.DiscardHandler),
	})
	capture := &capturedRequest{}
	rp := &httputil.ReverseProxy{Rewrite: p.rewrite, Transport: capture, ErrorLog: log.New(io.Discard, "", 0)}
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}

	f.Fuzz(func(t *testing.T, site uint8, trusted bool, host, target, xff, xfProto, xfHost, forwarded, realIP, preview string) {
		raw := "GET " + target + " HTTP/1.1\r\n" +
			"Host: " + host + "\r\n" +
			"X-Forwarded-For: " + xff + "\r\n" +
			"X_Forwarded_For: " + xff + "\r\n" +
			"X-Forwarded-Proto: " + xfProto + "\r\n" +
			"X-Forwarded-Host: " + xfHost + "\r\n" +
			"Forwarded: " + forwarded + "\r\n" +
			"X-Real-IP: " + realIP + "\r\n" +
			PreviewHeader + ": " + preview + "\r\n" +
			"X_Deploy_Preview: " + preview + "\r\n\r\n"
		in, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return // net/http refuses it before the proxy sees it
		}
		peer := fuzzUntrustedPeer
		if trusted {
			peer = fuzzTrustedPeer
		}
		in.RemoteAddr = net.JoinHostPort(peer, "4711")
		in = in.WithContext(context.WithValue(context.Background(), http.LocalAddrContextKey, local))

		sent := in
		s := fuzzSites[int(site)%len(fuzzSites)]
		if s.vh != nil {
			out, answer := newVhost(s.vh).request(in)
			if answer != nil {
				if answer != badRequestReply && answer != notFoundReply {
					t.Fatalf("refused with %d, want 400 or 404", answer.status)
				}
				return
			}
			checkVHMPath(t, in, out, s.tail)
			sent = out
		}

		capture.req = nil
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, sent)
		out := capture.req
		if out == nil {
			if rec.Code < 400 {
				t.Fatalf("nothing sent to the instance, yet answered %d", rec.Code)
			}
			return
		}
		if s.vh == nil && out.URL.Path != in.URL.Path {
			t.Errorf("path %q went out as %q without virtual hosting", in.URL.Path, out.URL.Path)
		}
		if out.Host != in.Host {
			t.Errorf("Host %q went out as %q", in.Host, out.Host)
		}
		checkForwardingOut(t, in, out, peer, trusted)
	})
}

// checkVHMPath fails t unless the rewritten request's path, in both forms
// and on the wire, starts with /VirtualHostBase/ for the request's own host
// and the listener's port, followed by the site's tail and a path of the
// client's own that cannot climb out of it.
func checkVHMPath(t *testing.T, in, out *http.Request, tail string) {
	t.Helper()
	host, ok := vhmHost(in.Host)
	if !ok {
		t.Fatalf("Host %q, which VirtualHostBase cannot carry, was not refused", in.Host)
	}
	if !safeVHMHost(host) {
		t.Fatalf("Host %q went into the path as %q", in.Host, host)
	}
	prefix := "/VirtualHostBase/http/" + host + ":" + fuzzListenerPort + tail
	for form, p := range map[string]string{"decoded": out.URL.Path, "escaped": out.URL.EscapedPath(), "wire": out.URL.RequestURI()} {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			t.Fatalf("%s path %q does not start with %q", form, p, prefix)
		}
		if rest != "" && rest[0] != '/' && rest[0] != '?' {
			t.Errorf("%s path %q runs on from the site's tail into %q", form, p, rest)
		}
	}
	if hasDotDot(out.URL.Path) {
		t.Errorf("path %q has a .. segment", out.URL.Path)
	}
}

// safeVHMHost reports whether h holds only the bytes of a lower-case host
// name, or is a bracketed IPv6 literal.
func safeVHMHost(h string) bool {
	if inner, ok := strings.CutPrefix(h, "["); ok {
		a, err := netip.ParseAddr(strings.TrimSuffix(inner, "]"))
		return err == nil && a.Is6() && strings.HasSuffix(inner, "]")
	}
	return h != "" && strings.Trim(h, "abcdefghijklmnopqrstuvwxyz0123456789.-_") == ""
}

// checkForwardingOut fails t for each forwarding header of out that is not
// what the proxy vouches for.
func checkForwardingOut(t *testing.T, in, out *http.Request, peer string, trusted bool) {
	t.Helper()
	for k, vs := range out.Header {
		for _, v := range vouchedHeaders {
			if sameCGIName(k, v) && k != v {
				t.Errorf("the lookalike %s: %q went out", k, vs)
			}
		}
	}
	if v, ok := out.Header[PreviewHeader]; ok {
		t.Errorf("the preview header went out: %q", v)
	}
	one := func(name string) string {
		vs := out.Header[name]
		if len(vs) != 1 {
			t.Fatalf("%s went out %d times (%q), want once", name, len(vs), vs)
		}
		if strings.ContainsAny(vs[0], "\r\n") {
			t.Fatalf("%s %q holds a line break", name, vs[0])
		}
		return vs[0]
	}
	xff := one("X-Forwarded-For")
	if last := strings.TrimSpace(xff[strings.LastIndexByte(xff, ',')+1:]); last != peer {
		t.Errorf("X-Forwarded-For %q ends with %q, want the peer %s", xff, last, peer)
	}
	hop := "for=" + peer + ";proto=http"
	if in.Host != "" {
		hop = "for=" + peer + ";host=" + `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(in.Host) + `"` + ";proto=http"
	}
	fwd, proto, realIP := one("Forwarded"), one("X-Forwarded-Proto"), one("X-Real-Ip")
	fwdHost := one("X-Forwarded-Host")
	if !trusted {
		if xff != peer || fwd != hop || proto != "http" || realIP != peer || fwdHost != in.Host {
			t.Errorf("from an untrusted peer went out X-Forwarded-For %q, Forwarded %q, X-Forwarded-Proto %q, X-Real-IP %q, X-Forwarded-Host %q; want the proxy's own",
				xff, fwd, proto, realIP, fwdHost)
		}
		return
	}
	if fwd != hop && !strings.HasSuffix(fwd, ", "+hop) {
		t.Errorf("Forwarded %q does not end with this hop %q", fwd, hop)
	}
	if want := in.Header.Get("X-Real-Ip"); want != "" && realIP != want {
		t.Errorf("X-Real-IP %q, want the trusted peer's %q", realIP, want)
	}
}
