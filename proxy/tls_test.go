package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

const hsts = "max-age=31536000; includeSubDomains"

// tlsProxy serves p on a plain and a TLS loopback listener with opts (whose
// TLS, HTTPSPort and RedirectHTTP it fills in when unset) and returns both
// base URLs and a client that trusts the TLS listener.
func tlsProxy(t *testing.T, p *Proxy, opts ServerOptions) (plainBase, tlsBase string, client *http.Client) {
	t.Helper()
	// httptest's certificate is valid for example.com and its subdomains.
	cert := httptest.NewUnstartedServer(nil)
	cert.StartTLS()
	cert.Close()
	if opts.TLS == nil {
		opts.TLS = &tls.Config{Certificates: cert.TLS.Certificates, NextProtos: []string{"h2", "http/1.1"}}
	}
	plainLn, _ := net.Listen("tcp", "127.0.0.1:0")
	tlsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts.HTTPSPort = tlsLn.Addr().(*net.TCPAddr).Port
	s := NewServer(p, opts)
	go s.Serve(plainLn)
	go s.ServeTLS(tlsLn)
	t.Cleanup(func() { s.plain.Close(); s.tls.Close() })

	roots := x509.NewCertPool()
	roots.AddCert(cert.Certificate())
	client = &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "www.example.com"}, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return "http://" + plainLn.Addr().String(), "https://" + tlsLn.Addr().String(), client
}

func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s (Host %s): %v", req.Method, req.URL, req.Host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, strings.TrimSpace(string(b))
}

func TestTLS_ServesOverHTTP2AndTellsTheApplicationTheSchemeWasHTTPS(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "site", Hosts: []string{"www.example.com"}}})
	mustSwitch(t, p, "site", "blue", testBackend(t, "blue"))
	_, tlsBase, c := tlsProxy(t, p, ServerOptions{})

	resp, body := do(t, c, newRequest(t, http.MethodGet, tlsBase, "www.example.com", "/echo"))
	if resp.StatusCode != 200 || body != "blue" || resp.ProtoMajor != 2 {
		t.Fatalf("got %d %q over %s, want 200 \"blue\" over HTTP/2", resp.StatusCode, body, resp.Proto)
	}
	if got := resp.Header.Get("X-Seen-Proto"); got != "https" {
		t.Errorf("the application saw X-Forwarded-Proto %q, want https", got)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS %q sent without being configured", got)
	}
}

func TestTLS_HSTSIsOnEveryHTTPSResponseAndNeverOnPlainHTTP(t *testing.T) {
	p := New(Options{HealthPath: "/.deploy/health"})
	p.Configure([]Service{{Name: "site", Hosts: []string{"www.example.com"}}, {Name: "idle", Hosts: []string{"idle.example.com"}}})
	mustSwitch(t, p, "site", "blue", testBackend(t, "blue"))
	plainBase, tlsBase, c := tlsProxy(t, p, ServerOptions{HSTS: hsts})

	for _, tc := range []struct{ host, path string }{
		{"www.example.com", "/"},               // proxied
		{"idle.example.com", "/"},              // the proxy's own 503
		{"nowhere.example.com", "/"},           // the proxy's own 404
		{"www.example.com", "/.deploy/health"}, // the proxy's health answer
	} {
		resp, _ := do(t, c, newRequest(t, http.MethodGet, tlsBase, tc.host, tc.path))
		if got := resp.Header.Values("Strict-Transport-Security"); len(got) != 1 || got[0] != hsts {
			t.Errorf("HTTPS %s%s (%d): HSTS %q, want once %q", tc.host, tc.path, resp.StatusCode, got, hsts)
		}
		resp, _ = do(t, c, newRequest(t, http.MethodGet, plainBase, tc.host, tc.path))
		if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("plain HTTP %s%s: HSTS %q; it must only come over HTTPS", tc.host, tc.path, got)
		}
	}
}

func TestRedirect_PlainHTTPForATLSHostGoesToHTTPSWithItsPathAndQuery(t *testing.T) {
	p := New(Options{HealthPath: "/.deploy/health"})
	p.Configure([]Service{{Name: "site", Hosts: []string{"www.example.com"}}, {Name: "plain", Hosts: []string{"plain.example.com"}}})
	mustSwitch(t, p, "site", "blue", testBackend(t, "blue"))
	mustSwitch(t, p, "plain", "blue", testBackend(t, "plain-blue"))
	// A stand-in for certmagic's HTTP-01 handler, which the certs package
	// tests against a real ACME server: it must be asked before redirecting.
	challenges := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") {
				io.WriteString(w, "key-authorization")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	plainBase, tlsBase, c := tlsProxy(t, p, ServerOptions{
		Challenges:   challenges,
		RedirectHTTP: func(host string) bool { return host == "www.example.com" },
	})
	port := strings.TrimPrefix(tlsBase[strings.LastIndexByte(tlsBase, ':'):], ":")

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		resp, _ := do(t, c, newRequest(t, method, plainBase, "WWW.Example.com:80", "/news/a%2Fb?x=1&y=%20"))
		want := "https://www.example.com:" + port + "/news/a%2Fb?x=1&y=%20"
		if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
			t.Errorf("%s: got %d to %q, want 308 to %q", method, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	if resp, body := do(t, c, newRequest(t, http.MethodGet, plainBase, "www.example.com", "/.well-known/acme-challenge/tok")); resp.StatusCode != 200 || body != "key-authorization" {
		t.Errorf("ACME challenge over plain HTTP: %d %q", resp.StatusCode, body)
	}
	if resp, body := do(t, c, newRequest(t, http.MethodGet, plainBase, "www.example.com", "/.deploy/health")); resp.StatusCode != 200 || body != "ok" {
		t.Errorf("health path over plain HTTP: %d %q", resp.StatusCode, body)
	}
	if resp, body := do(t, c, newRequest(t, http.MethodGet, plainBase, "plain.example.com", "/")); resp.StatusCode != 200 || body != "plain-blue" {
		t.Errorf("a host without TLS over plain HTTP: %d %q", resp.StatusCode, body)
	}
}

func TestRedirect_OnPort443TheLocationNamesNoPort(t *testing.T) {
	rd := &redirector{p: New(Options{}), hasTLS: func(string) bool { return true }, port: 443}
	w := httptest.NewRecorder()
	rd.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://www.example.com/a?b", nil))
	if got := w.Header().Get("Location"); got != "https://www.example.com/a?b" {
		t.Errorf("Location %q", got)
	}
	if got := w.Header().Get("Content-Length"); got != strconv.Itoa(0) {
		t.Errorf("Content-Length %q", got)
	}
}
