package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The forms are those documented for Zope's VirtualHostMonster: the public
// scheme, host and port (default ports too) after VirtualHostBase, the
// site's object path before VirtualHostRoot, and one _vh_ segment per
// segment of an inside-out prefix after it.
func TestVirtualHost_UpstreamPathFollowsTheVirtualHostMonsterForms(t *testing.T) {
	plone := VirtualHost{Root: "/Plone"}
	intranet := VirtualHost{Root: "/Plone", PathPrefix: "/intranet"}
	for _, c := range []struct {
		name         string
		vh           VirtualHost
		scheme, host string
		port         int
		target       string // the request's path as sent
		want         string // the escaped path Zope is sent
		status       int    // the proxy's own answer instead, 0 for none
	}{
		{name: "site over https, default port written", vh: plone, scheme: "https", host: "www.example.org", port: 443, target: "/news",
			want: "/VirtualHostBase/https/www.example.org:443/Plone/VirtualHostRoot/news"},
		{name: "site over http, default port written", vh: plone, scheme: "http", host: "www.example.org", port: 80, target: "/news",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/news"},
		{name: "site's front page", vh: plone, scheme: "https", host: "www.example.org", port: 443, target: "/",
			want: "/VirtualHostBase/https/www.example.org:443/Plone/VirtualHostRoot/"},
		{name: "empty path is the front page", vh: plone, scheme: "http", host: "www.example.org", port: 80, target: "",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/"},
		{name: "non-default port", vh: plone, scheme: "http", host: "www.example.org", port: 8080, target: "/news",
			want: "/VirtualHostBase/http/www.example.org:8080/Plone/VirtualHostRoot/news"},
		{name: "Zope root", vh: VirtualHost{Root: "/"}, scheme: "http", host: "www.example.org", port: 80, target: "/manage_main",
			want: "/VirtualHostBase/http/www.example.org:80/VirtualHostRoot/manage_main"},
		{name: "Zope root's front page", vh: VirtualHost{Root: "/"}, scheme: "http", host: "www.example.org", port: 80, target: "/",
			want: "/VirtualHostBase/http/www.example.org:80/VirtualHostRoot/"},
		{name: "nested site", vh: VirtualHost{Root: "/sites/Plone"}, scheme: "https", host: "www.example.org", port: 443, target: "/news",
			want: "/VirtualHostBase/https/www.example.org:443/sites/Plone/VirtualHostRoot/news"},
		{name: "trailing slash kept", vh: plone, scheme: "http", host: "www.example.org", port: 80, target: "/news/",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/news/"},
		{name: "encoded slash stays encoded", vh: plone, scheme: "http", host: "www.example.org", port: 80, target: "/a%2Fb",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/a%2Fb"},
		{name: "encoded space and UTF-8 stay as sent", vh: plone, scheme: "http", host: "www.example.org", port: 80, target: "/caf%C3%A9/a%20b",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/caf%C3%A9/a%20b"},
		{name: "sub-delims sent raw stay raw", vh: plone, scheme: "http", host: "www.example.org", port: 80, target: "/a!b/@@view",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/a!b/@@view"},
		{name: "IPv6 literal stays bracketed", vh: plone, scheme: "http", host: "[::1]", port: 8080, target: "/news",
			want: "/VirtualHostBase/http/[::1]:8080/Plone/VirtualHostRoot/news"},
		{name: "root with a space is escaped", vh: VirtualHost{Root: "/My Site"}, scheme: "http", host: "www.example.org", port: 80, target: "/",
			want: "/VirtualHostBase/http/www.example.org:80/My%20Site/VirtualHostRoot/"},
		{name: "a client's VirtualHostBase is only a path below the root", vh: plone, scheme: "https", host: "www.example.org", port: 443, target: "/VirtualHostBase/http/evil:80/x",
			want: "/VirtualHostBase/https/www.example.org:443/Plone/VirtualHostRoot/VirtualHostBase/http/evil:80/x"},
		{name: "dots inside names are fine", vh: plone, scheme: "http", host: "www.example.org", port: 80, target: "/a/.../b..c/.x",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/a/.../b..c/.x"},

		{name: "inside-out", vh: intranet, scheme: "http", host: "www.example.org", port: 80, target: "/intranet/news",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/_vh_intranet/news"},
		{name: "inside-out, the prefix alone", vh: intranet, scheme: "http", host: "www.example.org", port: 80, target: "/intranet",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/_vh_intranet/"},
		{name: "inside-out, the prefix with a slash", vh: intranet, scheme: "https", host: "www.example.org", port: 443, target: "/intranet/",
			want: "/VirtualHostBase/https/www.example.org:443/Plone/VirtualHostRoot/_vh_intranet/"},
		{name: "inside-out, two segments", vh: VirtualHost{Root: "/Plone", PathPrefix: "/a/b"}, scheme: "http", host: "www.example.org", port: 80, target: "/a/b/news",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/_vh_a/_vh_b/news"},
		{name: "inside-out at the Zope root", vh: VirtualHost{Root: "/", PathPrefix: "/intranet"}, scheme: "http", host: "www.example.org", port: 80, target: "/intranet/news",
			want: "/VirtualHostBase/http/www.example.org:80/VirtualHostRoot/_vh_intranet/news"},
		{name: "inside-out, encoded rest", vh: intranet, scheme: "http", host: "www.example.org", port: 80, target: "/intranet/a%2Fb",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/_vh_intranet/a%2Fb"},
		{name: "inside-out, UTF-8 prefix", vh: VirtualHost{Root: "/Plone", PathPrefix: "/über"}, scheme: "http", host: "www.example.org", port: 80, target: "/%C3%BCber/x",
			want: "/VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/_vh_%C3%BCber/x"},

		{name: "outside the prefix: another name", vh: intranet, target: "/intranetx", status: http.StatusNotFound},
		{name: "outside the prefix: the front page", vh: intranet, target: "/", status: http.StatusNotFound},
		{name: "outside the prefix: the prefix further down", vh: intranet, target: "/x/intranet", status: http.StatusNotFound},
		{name: "outside the prefix: half of two segments", vh: VirtualHost{Root: "/Plone", PathPrefix: "/a/b"}, target: "/a/bc", status: http.StatusNotFound},
		{name: "outside the prefix: escaped differently", vh: intranet, target: "/intra%6Eet/news", status: http.StatusNotFound},
		{name: "asterisk", vh: plone, target: "*", status: http.StatusNotFound},

		{name: "dot-dot climbing to a VirtualHostBase of its own", vh: plone, target: "/../../../../../VirtualHostBase/http/evil:80/Plone/VirtualHostRoot/", status: http.StatusBadRequest},
		{name: "escaped dot-dot", vh: plone, target: "/a/%2E%2E/%2e%2e/manage", status: http.StatusBadRequest},
		{name: "dot-dot between escaped slashes", vh: plone, target: "/a%2F..%2Fmanage", status: http.StatusBadRequest},
		{name: "dot-dot at the end", vh: intranet, target: "/intranet/..", status: http.StatusBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := url.Parse(c.target)
			if err != nil {
				t.Fatal(err)
			}
			raw, dec, answer := newVhost(&c.vh).upstreamPath(c.scheme, c.host, c.port, u.EscapedPath(), u.Path)
			if c.status != 0 {
				if answer == nil || answer.status != c.status {
					t.Fatalf("%q: sent as %q, want the proxy's %d", c.target, raw, c.status)
				}
				return
			}
			if answer != nil {
				t.Fatalf("%q: answered %d, want %q", c.target, answer.status, c.want)
			}
			if raw != c.want {
				t.Errorf("%q:\n got %s\nwant %s", c.target, raw, c.want)
			}
			// The request line is written from RawPath only if it decodes
			// to Path exactly; otherwise Path would be escaped afresh.
			if got := (&url.URL{Path: dec, RawPath: raw}).EscapedPath(); got != raw {
				t.Errorf("%q: Path %q and RawPath %q disagree: the request line would be %q", c.target, dec, raw, got)
			}
		})
	}
}

func TestVirtualHost_RootAndPrefixAreCleaned(t *testing.T) {
	for _, c := range []struct {
		vh           VirtualHost
		tail, prefix string
	}{
		{VirtualHost{}, "/VirtualHostRoot", ""},
		{VirtualHost{Root: "/", PathPrefix: "/"}, "/VirtualHostRoot", ""},
		{VirtualHost{Root: "Plone/"}, "/Plone/VirtualHostRoot", ""},
		{VirtualHost{Root: "//sites//Plone/", PathPrefix: "intranet/"}, "/sites/Plone/VirtualHostRoot/_vh_intranet", "/intranet"},
		{VirtualHost{Root: "/a/../Plone", PathPrefix: "/a/./b"}, "/Plone/VirtualHostRoot/_vh_a/_vh_b", "/a/b"},
	} {
		vh := newVhost(&c.vh)
		if vh.tail.esc != c.tail || vh.prefix.esc != c.prefix {
			t.Errorf("%+v: tail %q prefix %q, want %q %q", c.vh, vh.tail.esc, vh.prefix.esc, c.tail, c.prefix)
		}
	}
	if newVhost(nil) != nil {
		t.Error("no VirtualHost must mean no rewriting")
	}
}

func TestVirtualHost_HostIsTheRequestsNameWithoutPort(t *testing.T) {
	for in, want := range map[string]string{
		"www.example.org":       "www.example.org",
		"WWW.Example.org:8443":  "www.example.org",
		"www.example.org.":      "www.example.org",
		"10.0.0.1:80":           "10.0.0.1",
		"[::1]:8080":            "[::1]",
		"[FE80::1]":             "[fe80::1]",
		"intra_net":             "intra_net",
		"":                      "",
		"x%2FVirtualHostRoot":   "",
		"a,b":                   "",
		"[fe80::1%25eth0]:8080": "",
		"a:b:c":                 "",
	} {
		got, ok := vhmHost(in)
		if got != want || ok != (want != "") {
			t.Errorf("vhmHost(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// uriBackend starts a real HTTP server that answers with the request target
// exactly as its request line carried it, and counts the requests.
func uriBackend(t testing.TB) (addr string, hits *atomic.Int64) {
	t.Helper()
	hits = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, r.RequestURI)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), hits
}

// vhostProxy serves one service on www.example.org (and preview.example.org,
// or the token "s3cret", for its preview slot) with vh, live on a backend
// that answers the path it received.
func vhostProxy(t *testing.T, vh *VirtualHost) (p *Proxy, backend string, hits *atomic.Int64) {
	t.Helper()
	p = New(Options{})
	p.Configure([]Service{{Name: "site", Hosts: []string{"www.example.org"}, PreviewHosts: []string{"preview.example.org"},
		PreviewTokens: []string{"s3cret"}, VirtualHost: vh}})
	backend, hits = uriBackend(t)
	mustSwitch(t, p, "site", "blue", backend)
	return p, backend, hits
}

// port returns the port of a base URL such as http://127.0.0.1:41234.
func port(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

func TestVirtualHost_RewritesRequestsThroughTheProxy(t *testing.T) {
	p, _, _ := vhostProxy(t, &VirtualHost{Root: "/Plone"})
	base := testProxy(t, p)
	vhb := "/VirtualHostBase/http/www.example.org:" + port(t, base) + "/Plone/VirtualHostRoot"
	for _, c := range []struct{ host, target, want string }{
		{"www.example.org", "/news?x=1", vhb + "/news?x=1"},
		{"www.example.org", "/", vhb + "/"},
		{"www.example.org", "/news/", vhb + "/news/"},
		{"www.example.org", "/a%2Fb/c%20d?q=a%20b&r=%2F", vhb + "/a%2Fb/c%20d?q=a%20b&r=%2F"},
		{"www.example.org", "/VirtualHostBase/http/evil:80/x", vhb + "/VirtualHostBase/http/evil:80/x"},
		// The port is the listener's, whatever the Host header says.
		{"WWW.Example.org:9999", "/news", vhb + "/news"},
	} {
		if code, body := get(t, http.DefaultClient, base, c.host, c.target); code != 200 || body != c.want {
			t.Errorf("%s%s: %d\n got %s\nwant %s", c.host, c.target, code, body, c.want)
		}
	}
}

func TestVirtualHost_InsideOutHostingServesOnlyThePrefix(t *testing.T) {
	p, _, hits := vhostProxy(t, &VirtualHost{Root: "/Plone", PathPrefix: "/intranet"})
	base := testProxy(t, p)
	vhb := "/VirtualHostBase/http/www.example.org:" + port(t, base) + "/Plone/VirtualHostRoot/_vh_intranet"
	for target, want := range map[string]string{
		"/intranet/news?x=1": vhb + "/news?x=1",
		"/intranet":          vhb + "/",
		"/intranet/":         vhb + "/",
	} {
		if code, body := get(t, http.DefaultClient, base, "www.example.org", target); code != 200 || body != want {
			t.Errorf("%s: %d\n got %s\nwant %s", target, code, body, want)
		}
	}
	before := hits.Load()
	for _, target := range []string{"/", "/intranetx", "/news", "/x/intranet/news"} {
		if code, body := get(t, http.DefaultClient, base, "www.example.org", target); code != http.StatusNotFound || body != strings.TrimSpace(pageText[http.StatusNotFound]) {
			t.Errorf("%s: %d %q, want the proxy's 404 page", target, code, body)
		}
	}
	if n := hits.Load() - before; n != 0 {
		t.Errorf("%d requests outside the prefix reached the instance", n)
	}
}

func TestVirtualHost_DotDotSegmentsNeverReachZope(t *testing.T) {
	p, _, hits := vhostProxy(t, &VirtualHost{Root: "/Plone"})
	base := testProxy(t, p)
	for _, target := range []string{"/../../../../../VirtualHostBase/http/evil:80/Plone/VirtualHostRoot/x", "/a/%2e%2e/manage", "/a%2F..%2Fmanage"} {
		if code, _ := get(t, http.DefaultClient, base, "www.example.org", target); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", target, code)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests with a .. segment reached the instance", n)
	}
}

// The default service answers any Host header, and a Host may hold '%':
// "x%2FVirtualHostRoot" would become a path segment of its own in Zope.
func TestVirtualHost_HostsThatAreNoNamesNeverReachZope(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "site", Default: true, VirtualHost: &VirtualHost{Root: "/Plone"}}})
	backend, hits := uriBackend(t)
	mustSwitch(t, p, "site", "blue", backend)
	base := testProxy(t, p)
	for _, host := range []string{"x%2FOther%2FVirtualHostRoot", "a,b"} {
		if code, _ := get(t, http.DefaultClient, base, host, "/news"); code != http.StatusBadRequest {
			t.Errorf("Host %q: %d, want 400", host, code)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests reached the instance", n)
	}
	want := "/VirtualHostBase/http/other.example:" + port(t, base) + "/Plone/VirtualHostRoot/news"
	if code, body := get(t, http.DefaultClient, base, "Other.Example", "/news"); code != 200 || body != want {
		t.Errorf("a name the default service answers: %d %s", code, body)
	}
}

func TestVirtualHost_IPv6LiteralStaysBracketedOnTheWire(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	p, _, _ := vhostProxy(t, &VirtualHost{Root: "/Plone"})
	p.Configure([]Service{{Name: "site", Hosts: []string{"::1"}, VirtualHost: &VirtualHost{Root: "/Plone"}}})
	s := NewServer(p, ServerOptions{})
	go s.Serve(ln)
	t.Cleanup(func() { s.plain.Close() })
	base := "http://" + ln.Addr().String()
	want := "/VirtualHostBase/http/[::1]:" + port(t, base) + "/Plone/VirtualHostRoot/news"
	if code, body := get(t, http.DefaultClient, base, ln.Addr().String(), "/news"); code != 200 || body != want {
		t.Fatalf("%d\n got %s\nwant %s", code, body, want)
	}
}

func TestVirtualHost_TLSListenerGivesHttpsAndItsPort(t *testing.T) {
	p, _, _ := vhostProxy(t, &VirtualHost{Root: "/Plone"})
	base, client := testTLSProxy(t, p)
	want := "/VirtualHostBase/https/www.example.org:" + port(t, base) + "/Plone/VirtualHostRoot/news?x=1"
	if code, body := get(t, client, base, "www.example.org:443", "/news?x=1"); code != 200 || body != want {
		t.Fatalf("%d\n got %s\nwant %s", code, body, want)
	}
}

func TestVirtualHost_PreviewRequestsAreRewrittenToo(t *testing.T) {
	p, _, _ := vhostProxy(t, &VirtualHost{Root: "/Plone"})
	green, _ := uriBackend(t)
	mustPreview(t, p, "site", "green", green)
	base := testProxy(t, p)
	want := func(host string) string {
		return "/VirtualHostBase/http/" + host + ":" + port(t, base) + "/Plone/VirtualHostRoot/news"
	}
	if code, body := get(t, http.DefaultClient, base, "preview.example.org", "/news"); code != 200 || body != want("preview.example.org") {
		t.Errorf("preview host: %d %s", code, body)
	}
	if code, body, _ := send(t, withToken(newRequest(t, "GET", base, "www.example.org", "/news"), "s3cret")); code != 200 || body != want("www.example.org") {
		t.Errorf("preview token: %d %s", code, body)
	}
}

func TestVirtualHost_ConfigureChangesAndTurnsOffTheRewriting(t *testing.T) {
	p, backend, _ := vhostProxy(t, &VirtualHost{Root: "/Plone"})
	base := testProxy(t, p)
	vhb := "/VirtualHostBase/http/www.example.org:" + port(t, base)
	steps := []struct {
		vh   *VirtualHost
		want string
	}{
		{&VirtualHost{Root: "/Plone"}, vhb + "/Plone/VirtualHostRoot/intranet/news"},
		{&VirtualHost{Root: "/Other", PathPrefix: "/intranet"}, vhb + "/Other/VirtualHostRoot/_vh_intranet/news"},
		{nil, "/intranet/news"},
	}
	for _, s := range steps {
		p.Configure([]Service{{Name: "site", Hosts: []string{"www.example.org"}, VirtualHost: s.vh}})
		if code, body := get(t, http.DefaultClient, base, "www.example.org", "/intranet/news"); code != 200 || body != s.want {
			t.Errorf("with %+v: %d\n got %s\nwant %s", s.vh, code, body, s.want)
		}
	}
	if slot, addrs := p.Live("site"); slot != "blue" || len(addrs) != 1 || addrs[0] != backend {
		t.Errorf("Configure lost the live slot: %s %v", slot, addrs)
	}
}

// testTLSProxy serves p behind a real TLS listener with a fresh self-signed
// certificate for 127.0.0.1, and returns its base URL and a client that
// trusts the certificate.
func testTLSProxy(t *testing.T, p *Proxy) (base string, client *http.Client) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "deploy proxy test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(p, ServerOptions{})
	go s.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}))
	t.Cleanup(func() { s.plain.Close() })
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	t.Cleanup(tr.CloseIdleConnections)
	return "https://" + ln.Addr().String(), &http.Client{Transport: tr}
}

// BenchmarkVirtualHost_UpstreamPath measures the rewrite alone, for a plain
// path and for one with escapes (which needs the decoded form built too).
func BenchmarkVirtualHost_UpstreamPath(b *testing.B) {
	vh := newVhost(&VirtualHost{Root: "/Plone", PathPrefix: "/intranet"})
	for _, c := range []struct{ name, target string }{{"plain", "/intranet/news/item"}, {"escaped", "/intranet/caf%C3%A9/a%20b"}} {
		u, err := url.Parse(c.target)
		if err != nil {
			b.Fatal(err)
		}
		esc, dec := u.EscapedPath(), u.Path
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, answer := vh.upstreamPath("https", "www.example.org", 443, esc, dec); answer != nil {
					b.Fatal(answer.status)
				}
			}
		})
	}
}

func TestVirtualHost_RefusesARequestTargetWithoutAPath(t *testing.T) {
	vh := newVhost(&VirtualHost{Root: "/Plone"})
	for _, target := range []string{"a:0", "mailto:ops@example.org"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Host = "www.example.org"
		u, err := url.ParseRequestURI(target)
		if err != nil || u.Opaque == "" {
			t.Fatalf("%q: %v, %+v; want an opaque URL to test with", target, err, u)
		}
		r.URL = u
		if out, answer := vh.request(r); answer != badRequestReply {
			t.Errorf("request target %q: rewritten to %v, answer %v; want 400", target, out, answer)
		}
	}
}
