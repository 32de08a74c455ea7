package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// proxyWith is a valid configuration whose proxy block holds body, which
// starts on line 2.
func proxyWith(body string) string {
	return "proxy {\n" + body + "}\n" + okService
}

// httpsWith is proxyWith with HTTPS on; body starts on line 3.
func httpsWith(body string) string {
	return proxyWith("  https_listen = [\"0.0.0.0:443\"]\n" + body)
}

// acmeWith is httpsWith with an acme block holding body, which starts on
// line 4.
func acmeWith(body string) string {
	return httpsWith("  acme {\n" + body + "  }\n")
}

// httpsService is serviceWith behind a proxy with HTTPS on; body starts on
// line 6.
func httpsService(body string) string {
	return "proxy { https_listen = [\"0.0.0.0:443\"] }\n" + serviceWith(body)
}

// tlsBlock is a tls block of the given paths, taking lines 1-4 of its own.
func tlsBlock(cert, key string) string {
	return "  tls {\n    certificate = " + strconv.Quote(cert) + "\n    key         = " + strconv.Quote(key) + "\n  }\n"
}

// testPair writes a self-signed ECDSA certificate for hosts and its key to
// dir as name.pem and name.key, and returns their paths.
func testPair(t *testing.T, dir, name string, hosts ...string) (cert, key string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: hosts[0]},
		DNSNames:              hosts,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cert = writeFile(t, dir, name+".pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	key = writeFile(t, dir, name+".key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return cert, key
}

func TestParse_ReportsEveryBadHTTPSSettingAtTheOffendingExpression(t *testing.T) {
	files := t.TempDir()
	_, keyOnly := testPair(t, files, "pair", "a.test")
	badCert := writeFile(t, files, "bad.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}))
	huge := writeFile(t, files, "huge.pem", make([]byte, maxPEMFile+1))

	cases := []diagCase{
		{
			name: "bad https_listen addresses",
			src:  proxyWith(`  https_listen = ["localhost", "[::1]:8443", "[::1]:8443", "[::1]:0"]` + "\n"),
			want: []wantDiag{
				{2, 19, `Invalid https_listen address; "localhost" is not a "host:port" address`},
				{2, 46, `Duplicate https_listen address; "[::1]:8443" is already listed at {file}:2`},
				{2, 60, `Invalid https_listen port; The port of "[::1]:0" must be a number`},
			},
		},
		{
			name: "https_listen address that is a listen address",
			src:  proxyWith("  listen       = [\"0.0.0.0:80\"]\n  https_listen = [\"0.0.0.0:443\", \"0.0.0.0:80\"]\n"),
			want: []wantDiag{{3, 34, `Port collision; "0.0.0.0:80" takes the port of the listen address "0.0.0.0:80" at {file}:2; a port serves either plain HTTP or HTTPS`}},
		},
		{
			name: "https_listen on every interface takes a listen port",
			src:  proxyWith("  listen       = [\"127.0.0.1:80\"]\n  https_listen = [\":80\"]\n"),
			want: []wantDiag{{3, 19, `":80" takes the port of the listen address "127.0.0.1:80"`}},
		},
		{
			name: "https_listen on the default listen address",
			src:  proxyWith(`  https_listen = ["[::]:8080"]` + "\n"),
			want: []wantDiag{{2, 19, `takes the port of the default listen address "127.0.0.1:8080"`}},
		},
		{
			name: "slot on an https_listen port",
			src:  proxyWith(`  https_listen = ["0.0.0.0:7001"]` + "\n"),
			want: []wantDiag{{7, 29, `port 7001 of service "ok" slot "blue" overlaps proxy https_listen address "0.0.0.0:7001" (7001)`}},
		},
		{
			name: "acme block and local_ca",
			src:  httpsWith("  acme {}\n  local_ca = true\n"),
			want: []wantDiag{{4, 14, "Conflicting certificate sources; Certificates already come from the acme block at {file}:3. Choose one"}},
		},
		{
			name: "local_ca and acme block",
			src:  httpsWith("  local_ca = true\n  acme {}\n"),
			want: []wantDiag{{4, 3, "Certificates already come from local_ca = true at {file}:3"}},
		},
		{
			name: "HTTPS settings without https_listen",
			src:  proxyWith("  acme {}\n  redirect_http = true\n  hsts = \"max-age=31536000\"\n"),
			want: []wantDiag{
				{2, 3, `Missing https_listen; Without https_listen the proxy serves plain HTTP only, so the acme block has no use. Add https_listen = ["0.0.0.0:443"] to the proxy block, or remove the acme block.`},
				{3, 19, "so redirect_http = true has no use"},
				{4, 10, "so hsts has no use"},
			},
		},
		{
			name: "local_ca with an empty https_listen",
			src:  proxyWith("  https_listen = []\n  local_ca = true\n"),
			want: []wantDiag{{3, 14, "Missing https_listen; Without https_listen the proxy serves plain HTTP only, so local_ca = true has no use"}},
		},
		{
			name: "duplicate acme block is reported and both are checked",
			src:  httpsWith("  acme {}\n  acme { ca = \"http://acme.test\" }\n"),
			want: []wantDiag{
				{4, 3, "Duplicate acme block; Only one acme block is allowed here; the first is at {file}:3"},
				{4, 15, "must start with https://"},
			},
		},
		{
			name: "email with a display name",
			src:  acmeWith("    email = \"Ops <ops@example.org>\"\n"),
			want: []wantDiag{{4, 13, `Invalid ACME email; "Ops <ops@example.org>" is not a bare address; write "ops@example.org"`}},
		},
		{
			name: "email in angle brackets",
			src:  acmeWith("    email = \"<ops@example.org>\"\n"),
			want: []wantDiag{{4, 13, `write "ops@example.org"`}},
		},
		{
			name: "email that is no address",
			src:  acmeWith("    email = \"ops\"\n"),
			want: []wantDiag{{4, 13, `Invalid ACME email; "ops" is not an email address`}},
		},
		{
			name: "missing trusted_roots file",
			src:  acmeWith("    trusted_roots = \"missing.pem\"\n"),
			want: []wantDiag{{4, 21, "Cannot read trusted roots; stat {dir}/missing.pem: no such file or directory."}},
		},
		{
			name: "trusted_roots that is a directory",
			src:  acmeWith("    trusted_roots = \".\"\n"),
			want: []wantDiag{{4, 21, "Cannot read trusted roots; {dir} is not a regular file"}},
		},
		{
			name: "trusted_roots without certificates",
			src:  acmeWith("    trusted_roots = \"" + keyOnly + "\"\n"),
			want: []wantDiag{{4, 21, `Invalid trusted roots; ` + keyOnly + ` holds no PEM "CERTIFICATE" block`}},
		},
		{
			name: "trusted_roots with a broken certificate",
			src:  acmeWith("    trusted_roots = \"" + badCert + "\"\n"),
			want: []wantDiag{{4, 21, "Invalid trusted roots; Certificate 1 of " + badCert + " does not parse"}},
		},
		{
			name: "trusted_roots too large",
			src:  acmeWith("    trusted_roots = \"" + huge + "\"\n"),
			want: []wantDiag{{4, 21, huge + " is over 1048576 bytes"}},
		},
		{
			name: "empty trusted_roots",
			src:  acmeWith("    trusted_roots = \"\"\n"),
			want: []wantDiag{{4, 21, "Empty path"}},
		},
		{
			name: "no challenges",
			src:  acmeWith("    challenges = []\n"),
			want: []wantDiag{{4, 18, `No ACME challenges; List at least one of "http-01" and "tls-alpn-01"`}},
		},
		{
			name: "unknown and repeated challenges",
			src:  acmeWith(`    challenges = ["dns-01", "HTTP-01", "tls-alpn-01", "tls-alpn-01"]` + "\n"),
			want: []wantDiag{
				{4, 19, `Unknown ACME challenge; "dns-01" is not a challenge deploy answers; the valid ones are "http-01"`},
				{4, 29, `Write "http-01".`},
				{4, 55, `Duplicate ACME challenge; "tls-alpn-01" is already listed at {file}:4`},
			},
		},
		{
			name: "tls block without certificate and key",
			src:  httpsService("  tls {}\n"),
			want: []wantDiag{
				{6, 3, `Missing certificate; The tls block needs certificate`},
				{6, 3, `Missing key; The tls block needs key`},
			},
		},
		{
			name: "tls block without key",
			src:  httpsService("  tls {\n    certificate = \"site.pem\"\n  }\n"),
			want: []wantDiag{{6, 3, `Missing key; The tls block needs key, the path of the PEM private key`}},
		},
		{
			name: "tls block with an empty certificate",
			src:  httpsService(tlsBlock("", "site.key")),
			want: []wantDiag{{7, 19, "Empty path"}},
		},
		{
			name: "duplicate tls block is reported and both are checked",
			src:  httpsService(tlsBlock("a.pem", "a.key") + "  tls { certificate = \"b.pem\" }\n"),
			want: []wantDiag{
				{10, 3, "Duplicate tls block; Only one tls block is allowed here; the first is at {file}:6"},
				{10, 3, "Missing key"},
			},
		},
	}
	for _, ca := range []struct{ val, text string }{
		{"http://acme.test/directory", "must start with https://, since ACME is served over HTTPS only"},
		{"acme.test/directory", "must start with https://"},
		{"https:///directory", "has no host"},
		{"https://:443/directory", "has no host"},
		{"https://user:pw@acme.test/directory", "holds credentials"},
		{"https://acme test/directory", "is not a URL"},
	} {
		cases = append(cases, diagCase{
			name: "ca " + ca.val,
			src:  acmeWith("    ca = " + strconv.Quote(ca.val) + "\n"),
			want: []wantDiag{{4, 10, "Invalid ACME CA; " + strconv.Quote(ca.val) + " " + ca.text}},
		})
	}
	for _, h := range []struct{ val, text string }{
		{"max-age=abc", "max-age takes a number of seconds"},
		{"max-age", "max-age takes a number of seconds"},
		{"includeSubDomains", "it needs a max-age directive"},
		{"max-age=1; preload=yes", "preload takes no value"},
		{"max-age=1; Max-Age=2", "Max-Age is given twice"},
		{"max-age=1; secure", "the directive secure is unknown"},
		{"max-age=1; =2", "a directive has no name"},
		{"max-age=1;\tpreload", "it must be printable ASCII"},
		{"max-age=1; präload", "it must be printable ASCII"},
	} {
		cases = append(cases, diagCase{
			name: "hsts " + h.val,
			src:  httpsWith("  hsts = " + strconv.Quote(h.val) + "\n"),
			want: []wantDiag{{3, 10, "Invalid hsts; " + strconv.Quote(h.val) + " is not a Strict-Transport-Security value: " + h.text}},
		})
	}
	runDiagCases(t, cases)
}

// loadIn writes src as deploy.hcl in dir and loads it, failing t on
// errors but not on warnings.
func loadIn(t *testing.T, dir, src string) (*Config, *Diagnostics) {
	t.Helper()
	cfg, diags, err := Load(writeFile(t, dir, "deploy.hcl", []byte(src)))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg, diags
}

func TestLoad_HTTPSConfigYieldsEveryFieldWithAbsolutePaths(t *testing.T) {
	dir := shortTempDir(t)
	testPair(t, filepath.Join(dir, "certs"), "site", "www.example.org", "preview.example.org")
	testPair(t, dir, "ca", "Test ACME root")
	cfg, diags := loadIn(t, dir, `proxy {
  listen        = ["0.0.0.0:80"]
  https_listen  = ["0.0.0.0:443", "[::1]:443"]
  acme {
    email         = "ops@example.org"
    ca            = "https://acme.test:14000/dir"
    trusted_roots = "ca.pem"
    challenges    = ["tls-alpn-01", "http-01"]
  }
  local_ca      = false
  redirect_http = true
  hsts          = "max-age=31536000; includeSubDomains"
}
service "site" {
  hosts = ["www.example.org"]
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
  preview { hosts = ["preview.example.org"] }
  tls {
    certificate = "certs/site.pem"
    key         = "certs/site.key"
  }
}
`)
	if diags != nil {
		t.Fatalf("unexpected diagnostics: %v", diags.Diags)
	}
	want := Proxy{
		Listen:      []string{"0.0.0.0:80"},
		HealthPath:  "/.deploy/health",
		HTTPSListen: []string{"0.0.0.0:443", "[::1]:443"},
		ACME: &ACME{
			CA:           "https://acme.test:14000/dir",
			Email:        "ops@example.org",
			TrustedRoots: filepath.Join(dir, "ca.pem"),
			Challenges:   []string{ChallengeTLSALPN01, ChallengeHTTP01},
		},
		RedirectHTTP: true,
		HSTS:         "max-age=31536000; includeSubDomains",
	}
	if !reflect.DeepEqual(cfg.Proxy, want) {
		t.Errorf("proxy:\n got %+v\nwant %+v", cfg.Proxy, want)
	}
	if got, want := cfg.Services[0].TLS, (&StaticTLS{
		Certificate: filepath.Join(dir, "certs", "site.pem"),
		Key:         filepath.Join(dir, "certs", "site.key"),
	}); !reflect.DeepEqual(got, want) {
		t.Errorf("TLS = %+v, want %+v", got, want)
	}
}

func TestLoad_HTTPSDefaultsToLetsEncryptWithBothChallenges(t *testing.T) {
	dir := shortTempDir(t)
	cases := []struct {
		name  string
		proxy string
		want  Proxy
	}{
		{
			name:  "no HTTPS settings",
			proxy: "",
			want:  Proxy{},
		},
		{
			name:  "HTTPS settings that are off need no https_listen",
			proxy: "  local_ca = false\n  redirect_http = false\n  hsts = \"\"\n",
			want:  Proxy{},
		},
		{
			name:  "an empty https_listen is no HTTPS",
			proxy: "  https_listen = []\n",
			want:  Proxy{},
		},
		{
			name:  "https_listen alone",
			proxy: "  https_listen = [\"0.0.0.0:443\"]\n",
			want: Proxy{HTTPSListen: []string{"0.0.0.0:443"}, ACME: &ACME{
				CA: DefaultACMECA, Challenges: []string{ChallengeHTTP01, ChallengeTLSALPN01},
			}},
		},
		{
			name:  "an empty acme block",
			proxy: "  https_listen = [\"0.0.0.0:443\"]\n  acme {\n    email = \"\"\n  }\n",
			want: Proxy{HTTPSListen: []string{"0.0.0.0:443"}, ACME: &ACME{
				CA: DefaultACMECA, Challenges: []string{ChallengeHTTP01, ChallengeTLSALPN01},
			}},
		},
		{
			name:  "local CA",
			proxy: "  https_listen = [\"0.0.0.0:443\"]\n  local_ca = true\n  redirect_http = true\n",
			want:  Proxy{HTTPSListen: []string{"0.0.0.0:443"}, LocalCA: true, RedirectHTTP: true},
		},
		{
			name:  "one port on two addresses",
			proxy: "  listen = [\"10.0.0.1:8443\"]\n  https_listen = [\"10.0.0.2:8443\"]\n  local_ca = true\n",
			want:  Proxy{Listen: []string{"10.0.0.1:8443"}, HTTPSListen: []string{"10.0.0.2:8443"}, LocalCA: true},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := loadIn(t, dir, proxyWith(tc.proxy))
			if diags != nil {
				t.Fatalf("unexpected diagnostics: %v", diags.Diags)
			}
			want := tc.want
			if want.Listen == nil {
				want.Listen = []string{"127.0.0.1:8080"}
			}
			want.HealthPath = "/.deploy/health"
			if !reflect.DeepEqual(cfg.Proxy, want) {
				t.Errorf("proxy:\n got %+v\nwant %+v", cfg.Proxy, want)
			}
			if cfg.Services[0].TLS != nil {
				t.Errorf("TLS = %+v, want nil", cfg.Services[0].TLS)
			}
		})
	}
}

func TestLoad_HSTSTakesItsDirectivesInAnyCaseAndSpacing(t *testing.T) {
	dir := shortTempDir(t)
	for _, v := range []string{
		"max-age=0",
		"MAX-AGE=31536000; includesubdomains; PRELOAD",
		" max-age = 31536000 ;includeSubDomains; ",
	} {
		cfg, diags := loadIn(t, dir, httpsWith("  hsts = "+strconv.Quote(v)+"\n"))
		if diags != nil || cfg.Proxy.HSTS != v {
			t.Errorf("hsts %q: got %q, diagnostics %v", v, cfg.Proxy.HSTS, diags)
		}
	}
}

func TestLoad_AbsoluteTrustedRootsAreKept(t *testing.T) {
	roots, _ := testPair(t, t.TempDir(), "ca", "Test ACME root")
	cfg, diags := loadIn(t, shortTempDir(t), acmeWith("    trusted_roots = "+strconv.Quote(roots)+"\n"))
	if diags != nil {
		t.Fatalf("unexpected diagnostics: %v", diags.Diags)
	}
	if got := cfg.Proxy.ACME.TrustedRoots; got != roots {
		t.Errorf("TrustedRoots = %q, want %q", got, roots)
	}
}

func TestParse_WarnsOfServiceCertificatesThatWouldFailTheirHosts(t *testing.T) {
	files := t.TempDir()
	cert, key := testPair(t, files, "a", "a.test")
	wildCert, wildKey := testPair(t, files, "wild", "*.a.test")
	_, otherKey := testPair(t, files, "other", "a.test")
	preview := "  preview { hosts = [\"preview.a.test\"] }\n"

	cases := []struct {
		name string
		src  string
		want []wantDiag
	}{
		{
			name: "a pair that covers every host",
			src:  httpsService(tlsBlock(cert, key)),
		},
		{
			name: "a tls block without https_listen is unused and not read",
			src:  serviceWith(tlsBlock("missing.pem", "missing.key")),
			want: []wantDiag{{5, 3, `Unused tls block; Without https_listen the proxy serves plain HTTP only, so service "a"'s certificate is never served. Add https_listen = ["0.0.0.0:443"]`}},
		},
		{
			name: "missing files",
			src:  httpsService(tlsBlock("missing.pem", "missing.key")),
			want: []wantDiag{{6, 3, `Unusable certificate; The certificate and key cannot be loaded: stat {dir}/missing.pem: no such file or directory. Until they are fixed, the hosts of service "a" fail their TLS handshakes`}},
		},
		{
			name: "the key of another certificate",
			src:  httpsService(tlsBlock(cert, otherKey)),
			want: []wantDiag{{6, 3, "private key does not match public key"}},
		},
		{
			name: "a device instead of a file",
			src:  httpsService(tlsBlock("/dev/zero", key)),
			want: []wantDiag{{6, 3, "/dev/zero is not a regular file"}},
		},
		{
			name: "a certificate for other names",
			src:  httpsService(preview + tlsBlock(wildCert, wildKey)),
			want: []wantDiag{{8, 19, `Certificate does not cover host; The certificate of service "a" is not valid for "a.test"`}},
		},
		{
			name: "a certificate without the preview host",
			src:  httpsService(preview + tlsBlock(cert, key)),
			want: []wantDiag{{8, 19, `not valid for "preview.a.test"`}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			filename := filepath.Join(shortTempDir(t), "deploy.hcl")
			cfg, diags, err := Parse([]byte(tc.src), filename)
			if err != nil || cfg == nil {
				t.Fatalf("warnings must not fail the load: %v", err)
			}
			var got hcl.Diagnostics
			if diags != nil {
				got = diags.Diags
			}
			for _, w := range tc.want {
				text := strings.NewReplacer("{file}", filename, "{dir}", filepath.Dir(filename)).Replace(w.text)
				if !hasDiag(got, w.line, w.col, text) {
					t.Errorf("no warning at %d,%d containing %q", w.line, w.col, text)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %d diagnostics, want %d", len(got), len(tc.want))
			}
			if t.Failed() {
				for _, d := range got {
					t.Logf("got %d,%d: %s; %s", d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail)
				}
			}
		})
	}
}
