// Package acmetest runs a real ACME certificate authority, Let's Encrypt's
// Pebble, inside the test process, with a DNS server that resolves every
// name to loopback, so that certificates are obtained and validated over
// HTTP-01 and TLS-ALPN-01 without leaving the machine.
package acmetest

import (
	"crypto/x509"
	"deploy/internal/lockedbuffer"
	"encoding/pem"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/letsencrypt/challtestsrv"
	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// Options say where Pebble validates challenges and what it issues.
type Options struct {
	// HTTPPort and TLSPort are the loopback ports Pebble's validation
	// authority connects to for HTTP-01 and TLS-ALPN-01: the proxy's
	// listeners under test, standing in for ports 80 and 443.
	HTTPPort, TLSPort int
	// Validity of issued certificates; 0 means Pebble's default.
	Validity time.Duration
}

// CA is a running Pebble.
type CA struct {
	// DirectoryURL is the ACME directory to configure as the CA.
	DirectoryURL string
	// EndpointRootsFile holds, as PEM, the certificate of the ACME
	// endpoint itself: what an ACME client must trust to talk to it.
	EndpointRootsFile string
	// EndpointRoots is the same certificate as a pool.
	EndpointRoots *x509.CertPool

	ca *ca.CAImpl
}

// pebbleEnv turns off Pebble's deliberate misbehaviour (random delays
// before validation, rejected nonces), which exercises client retries but
// would only make these tests slow.
var pebbleEnv = sync.OnceFunc(func() {
	os.Setenv("PEBBLE_VA_NOSLEEP", "1")
	os.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
})

// Start runs Pebble and its DNS server until the test ends.
func Start(t testing.TB, opts Options) *CA {
	t.Helper()
	pebbleEnv()
	var logs lockedbuffer.Buffer
	logger := log.New(&logs, "pebble ", log.Lmicroseconds)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pebble log:\n%s", logs.String())
		}
	})

	dnsAddr := startDNS(t, logger)
	store := db.NewMemoryStore()
	profiles := map[string]ca.Profile{"default": {Description: "test", ValidityPeriod: uint64(opts.Validity / time.Second)}}
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, profiles)
	validator := va.New(logger, opts.HTTPPort, opts.TLSPort, false, dnsAddr, store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)

	srv := httptest.NewUnstartedServer(front.Handler())
	srv.Config.ErrorLog = logger
	srv.StartTLS()
	t.Cleanup(srv.Close)

	rootsFile := filepath.Join(t.TempDir(), "acme-endpoint.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(rootsFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &CA{
		DirectoryURL:      srv.URL + wfe.DirectoryPath,
		EndpointRootsFile: rootsFile,
		EndpointRoots:     pool,
		ca:                authority,
	}
}

// Roots are the roots of the certificates Pebble issues.
func (c *CA) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(c.ca.GetRootCert(0).Cert)
	return pool
}

// startDNS serves A records of 127.0.0.1 for every name (and no AAAA), so
// Pebble reaches the proxy under test whatever host it validates.
func startDNS(t testing.TB, logger *log.Logger) string {
	t.Helper()
	addr := freeUDPAndTCPAddr(t)
	srv, err := challtestsrv.New(challtestsrv.Config{DNSAddrs: []string{addr}, Log: logger})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetDefaultDNSIPv4("127.0.0.1")
	srv.SetDefaultDNSIPv6("")
	go srv.Run()
	t.Cleanup(srv.Shutdown)
	// Run binds in the background: wait until it answers over TCP.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("acmetest DNS server on %s: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// freeUDPAndTCPAddr finds a loopback port free for both UDP and TCP, which
// the DNS server binds together.
func freeUDPAndTCPAddr(t testing.TB) string {
	t.Helper()
	for range 50 {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := u.LocalAddr().String()
		l, err := net.Listen("tcp", addr)
		u.Close()
		if err != nil {
			continue
		}
		l.Close()
		return addr
	}
	t.Fatal("acmetest: no loopback port free for both UDP and TCP")
	return ""
}
