package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deploy/internal/acmetest"
	"deploy/proxy"
)

// listeners are the loopback stand-ins for ports 80 and 443.
type listeners struct {
	http, https net.Listener
}

func listen(t *testing.T) listeners {
	t.Helper()
	var ls listeners
	for _, l := range []*net.Listener{&ls.http, &ls.https} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		*l = ln
	}
	return ls
}

func port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// serve runs the real proxy in front of an application that names the
// host it was asked for and the scheme the proxy forwarded: plain HTTP on
// one listener (with the manager's ACME challenges), TLS with the manager's
// configuration on the other, as the controller wires them.
func serve(t *testing.T, m *Manager, ls listeners) {
	t.Helper()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "app %s %s", r.Host, r.Header.Get("X-Forwarded-Proto"))
	}))
	t.Cleanup(app.Close)
	p := proxy.New(proxy.Options{Logger: slog.New(slog.DiscardHandler)})
	p.Configure([]proxy.Service{{Name: "site", Default: true}})
	if _, err := p.Switch("site", proxy.Backend{Slot: "blue", Addrs: []string{app.Listener.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	srv := proxy.NewServer(p, proxy.ServerOptions{TLS: m.TLSConfig(), Challenges: m.HTTPChallenges})
	go srv.Serve(ls.http)
	go srv.ServeTLS(ls.https)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
}

func newManager(t *testing.T, opts Options) *Manager {
	t.Helper()
	if opts.StorageDir == "" {
		opts.StorageDir = t.TempDir()
	}
	opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

// acmeManager starts Pebble validating on ls and a manager obtaining from
// it with the given challenges.
func acmeManager(t *testing.T, ls listeners, validity time.Duration, http01, tlsalpn01 bool) (*Manager, *acmetest.CA) {
	t.Helper()
	ca := acmetest.Start(t, acmetest.Options{HTTPPort: port(ls.http), TLSPort: port(ls.https), Validity: validity})
	m := newManager(t, Options{
		ACME:     &ACME{CA: ca.DirectoryURL, Email: "ops@example.org", TrustedRoots: ca.EndpointRoots, HTTP01: http01, TLSALPN01: tlsalpn01},
		HTTPAddr: ls.http.Addr().String(), HTTPSAddr: ls.https.Addr().String(),
		RenewCheckInterval: time.Second,
	})
	serve(t, m, ls)
	return m, ca
}

// status waits until settled holds for host's status and returns it. The
// deadline is long: renewal of a short-lived certificate takes a third of
// its lifetime to come due.
func status(t *testing.T, m *Manager, host string, settled func(HostStatus) bool) HostStatus {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		for _, s := range m.Status() {
			if s.Host == host && settled(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting on the certificate of %s; status: %+v", host, m.Status())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hasCert(s HostStatus) bool  { return !s.NotAfter.IsZero() }
func hasError(s HostStatus) bool { return s.LastError != "" }

// fetch connects to addr with SNI host, verifies the chain against roots,
// and returns the response (its TLS state holds the leaf) and the
// application's answer.
func fetch(t *testing.T, addr, host string, roots *x509.CertPool) (*http.Response, string, error) {
	t.Helper()
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{ServerName: host, RootCAs: roots},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + host + "/")
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body), nil
}

func TestACME_ObtainsOverHTTP01ForEveryHostAndServesThemOverHTTP2(t *testing.T) {
	ls := listen(t)
	m, ca := acmeManager(t, ls, 0, true, false)
	hosts := []string{"www.example.test", "preview.example.test"}
	m.SetSites([]Site{{Host: hosts[0]}, {Host: hosts[1]}})

	for _, h := range hosts {
		st := status(t, m, h, hasCert)
		if st.Source != SourceACME || !strings.Contains(st.Issuer, "Pebble") || st.LastError != "" {
			t.Errorf("status of %s: %+v", h, st)
		}
		if !st.RenewAt.Before(st.NotAfter) {
			t.Errorf("%s renews at %v, after it expires at %v", h, st.RenewAt, st.NotAfter)
		}
		resp, body, err := fetch(t, ls.https.Addr().String(), h, ca.Roots())
		if err != nil {
			t.Fatalf("%s over HTTPS, chain checked against Pebble's root: %v", h, err)
		}
		if err := resp.TLS.PeerCertificates[0].VerifyHostname(h); err != nil {
			t.Error(err)
		}
		if resp.ProtoMajor != 2 {
			t.Errorf("%s answered over %s, want HTTP/2", h, resp.Proto)
		}
		if want := "app " + h + " https"; body != want {
			t.Errorf("%s answered %q, want %q", h, body, want)
		}
	}
}

func TestACME_ObtainsOverTLSALPN01(t *testing.T) {
	ls := listen(t)
	m, ca := acmeManager(t, ls, 0, false, true)
	m.SetSites([]Site{{Host: "alpn.example.test"}})
	status(t, m, "alpn.example.test", hasCert)
	if _, _, err := fetch(t, ls.https.Addr().String(), "alpn.example.test", ca.Roots()); err != nil {
		t.Fatal(err)
	}
}

func TestACME_RenewsAShortLivedCertificateWhileServing(t *testing.T) {
	ls := listen(t)
	m, ca := acmeManager(t, ls, 15*time.Second, true, true)
	m.SetSites([]Site{{Host: "short.example.test"}})
	first := status(t, m, "short.example.test", hasCert)
	before, _, err := fetch(t, ls.https.Addr().String(), "short.example.test", ca.Roots())
	if err != nil {
		t.Fatal(err)
	}
	leaf := before.TLS.PeerCertificates[0]
	// The same listeners, the same manager: only the certificate changes.
	renewed := status(t, m, "short.example.test", func(s HostStatus) bool { return s.NotAfter.After(first.NotAfter) })
	after, _, err := fetch(t, ls.https.Addr().String(), "short.example.test", ca.Roots())
	if err != nil {
		t.Fatal(err)
	}
	if now := after.TLS.PeerCertificates[0]; now.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
		t.Errorf("status says renewed (not after %v → %v), but handshakes still get serial %v", first.NotAfter, renewed.NotAfter, leaf.SerialNumber)
	}
}

func TestHandshake_ANameOutsideTheConfigGetsNoCertificateAndObtainsNothing(t *testing.T) {
	ls := listen(t)
	m, ca := acmeManager(t, ls, 0, true, true)
	m.SetSites([]Site{{Host: "www.example.test"}})
	status(t, m, "www.example.test", hasCert)

	_, _, err := fetch(t, ls.https.Addr().String(), "evil.example.test", ca.Roots())
	if err == nil {
		t.Fatal("a handshake for a name outside the config got a certificate")
	}
	for _, s := range m.Status() {
		if s.Host != "www.example.test" {
			t.Errorf("status lists %s", s.Host)
		}
	}
	if m.Has("evil.example.test") {
		t.Error("Has(evil.example.test)")
	}
}

func TestACME_ANameNoPublicCAIssuesIsReportedAndTheOthersAreServed(t *testing.T) {
	ls := listen(t)
	m, ca := acmeManager(t, ls, 0, true, true)
	m.SetSites([]Site{{Host: "localhost"}, {Host: "www.example.test"}})
	st := status(t, m, "localhost", hasError)
	if !strings.Contains(st.LastError, "public CA") {
		t.Errorf("localhost: %+v", st)
	}
	status(t, m, "www.example.test", hasCert)
	if _, _, err := fetch(t, ls.https.Addr().String(), "www.example.test", ca.Roots()); err != nil {
		t.Fatal(err)
	}
}

func TestStatic_ABrokenPairFailsOnlyItsHosts(t *testing.T) {
	ls := listen(t)
	dir := t.TempDir()
	m := newManager(t, Options{HTTPAddr: ls.http.Addr().String(), HTTPSAddr: ls.https.Addr().String()})
	serve(t, m, ls)
	good := writePair(t, dir, "good", "static.example.test")
	broken := StaticPair{Certificate: filepath.Join(dir, "broken.pem"), Key: good.Key}
	if err := os.WriteFile(broken.Certificate, []byte("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m.SetSites([]Site{
		{Host: "static.example.test", Static: &good},
		{Host: "broken.example.test", Static: &broken},
		{Host: "auto.example.test"},
		{Host: "other.example.test", Static: &good}, // good pair, wrong name
	})

	st := status(t, m, "broken.example.test", hasError)
	if st.Source != SourceStatic || !strings.Contains(st.LastError, "broken.pem") {
		t.Errorf("broken: %+v", st)
	}
	if st := status(t, m, "other.example.test", hasError); !strings.Contains(st.LastError, "does not cover") {
		t.Errorf("other: %+v", st)
	}
	if _, _, err := fetch(t, ls.https.Addr().String(), "broken.example.test", nil); err == nil {
		t.Error("the host with a broken pair completed a handshake")
	}

	staticRoots := x509.NewCertPool()
	staticRoots.AppendCertsFromPEM(mustRead(t, good.Certificate))
	if st := status(t, m, "static.example.test", hasCert); st.Source != SourceStatic || !st.RenewAt.IsZero() || st.LastError != "" {
		t.Errorf("static: %+v", st)
	}
	if _, _, err := fetch(t, ls.https.Addr().String(), "static.example.test", staticRoots); err != nil {
		t.Errorf("static host: %v", err)
	}
	status(t, m, "auto.example.test", hasCert)
	local := x509.NewCertPool()
	local.AppendCertsFromPEM(mustRead(t, m.LocalRootFile()))
	if _, _, err := fetch(t, ls.https.Addr().String(), "auto.example.test", local); err != nil {
		t.Errorf("automatic host beside the broken pair: %v", err)
	}
}

func TestStatic_AReplacedPairIsServedAfterSetSites(t *testing.T) {
	ls := listen(t)
	dir := t.TempDir()
	m := newManager(t, Options{HTTPAddr: ls.http.Addr().String(), HTTPSAddr: ls.https.Addr().String()})
	serve(t, m, ls)
	pair := writePair(t, dir, "site", "static.example.test")
	m.SetSites([]Site{{Host: "static.example.test", Static: &pair}})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(mustRead(t, pair.Certificate))
	first, _, err := fetch(t, ls.https.Addr().String(), "static.example.test", roots)
	if err != nil {
		t.Fatal(err)
	}

	writePair(t, dir, "site", "static.example.test")
	m.SetSites([]Site{{Host: "static.example.test", Static: &pair}})
	roots.AppendCertsFromPEM(mustRead(t, pair.Certificate))
	second, _, err := fetch(t, ls.https.Addr().String(), "static.example.test", roots)
	if err != nil {
		t.Fatal(err)
	}
	if first.TLS.PeerCertificates[0].SerialNumber.Cmp(second.TLS.PeerCertificates[0].SerialNumber) == 0 {
		t.Error("the replaced pair is not served")
	}
}

func TestLocalCA_IssuesFromOneRootThatSurvivesARestart(t *testing.T) {
	ls := listen(t)
	dir := t.TempDir()
	m := newManager(t, Options{StorageDir: dir, HTTPAddr: ls.http.Addr().String(), HTTPSAddr: ls.https.Addr().String()})
	serve(t, m, ls)
	m.SetSites([]Site{{Host: "demo.localhost"}, {Host: "127.0.0.1"}})
	for _, h := range []string{"demo.localhost", "127.0.0.1"} {
		if st := status(t, m, h, hasCert); st.Source != SourceLocal || !strings.Contains(st.Issuer, "deploy local CA") {
			t.Errorf("%s: %+v", h, st)
		}
	}
	root := mustRead(t, m.LocalRootFile())
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(root)
	if _, _, err := fetch(t, ls.https.Addr().String(), "demo.localhost", pool); err != nil {
		t.Fatal(err)
	}
	m.Stop()

	again := newManager(t, Options{StorageDir: dir})
	if got := mustRead(t, again.LocalRootFile()); string(got) != string(root) {
		t.Error("a second start generated a new root")
	}
	if fi, err := os.Stat(filepath.Join(dir, "local-ca", "root.key")); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("root key: %v, mode %v", err, fi.Mode())
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
