// Package certs gives the proxy's TLS listeners their certificates:
// obtained and renewed automatically from an ACME CA (or from a local
// development CA) with certmagic, or loaded from a pair of files an operator
// keeps. Certificates exist only for the hosts the configuration names; a
// handshake for any other name gets none. A problem with one host's
// certificate is that host's alone: it is reported in Status and the other
// hosts go on being served.
package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"
)

// Sources of a host's certificate.
const (
	SourceACME   = "acme"
	SourceLocal  = "local"
	SourceStatic = "static"
)

// staticTag marks the certificates loaded from operators' files in
// certmagic's cache, to tell them from managed ones.
const staticTag = "deploy-static"

// ACME configures the ACME certificate authority.
type ACME struct {
	CA    string // directory URL
	Email string // "" registers without contact
	// TrustedRoots are trusted for the CA's own HTTPS endpoint; nil means
	// the system's roots.
	TrustedRoots *x509.CertPool
	// HTTP01 and TLSALPN01 enable those challenges.
	HTTP01, TLSALPN01 bool
}

// Options configure a Manager.
type Options struct {
	// StorageDir holds certificates, keys, ACME accounts and the local CA.
	StorageDir string
	// ACME obtains certificates from an ACME CA; when nil, they come from
	// a local CA generated in StorageDir (development only).
	ACME *ACME
	// HTTPAddr and HTTPSAddr are the proxy's first plain and TLS listen
	// addresses ("" when there is none): ACME challenges are answered
	// there by the proxy, so certmagic must never bind ports of its own.
	HTTPAddr, HTTPSAddr string
	Logger              *slog.Logger

	// RenewCheckInterval is how often certificates are checked for
	// renewal; 0 means certmagic's default (10 minutes).
	RenewCheckInterval time.Duration
	// LocalValidity is the lifetime of local CA certificates; 0 means 7
	// days.
	LocalValidity time.Duration
}

// Site is a host the proxy serves over TLS.
type Site struct {
	Host string
	// Static, when set, is the operator's certificate for the host, used
	// instead of obtaining one.
	Static *StaticPair
}

// StaticPair names a PEM certificate chain and its private key.
type StaticPair struct {
	Certificate, Key string
}

// Manager keeps the certificates of the configured hosts.
type Manager struct {
	log    *slog.Logger
	dir    string // Options.StorageDir
	source string // SourceACME or SourceLocal, for automatic hosts
	cache  *certmagic.Cache
	// magic obtains at start and renews; handshake serves TLS handshakes
	// and may obtain on demand, for automatic hosts only. They share the
	// cache, the storage and the issuer.
	magic, handshake *certmagic.Config
	acme             *certmagic.ACMEIssuer // nil with the local CA
	local            *localCA              // nil with ACME

	ctx  context.Context
	stop func() // once: certmagic's cache panics when stopped twice

	mu     sync.RWMutex
	sites  map[string]*site
	static map[StaticPair]string // loaded pair → certmagic cache hash
}

// site is what the manager knows of one host.
type site struct {
	static  *StaticPair
	managed bool // handed to certmagic for obtaining and renewal
	lastErr string
	errAt   time.Time
}

// New opens the certificate storage and, with the local CA, its root. No
// certificate is obtained until SetSites names hosts.
func New(opts Options) (*Manager, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	zl := zapLogger(opts.Logger)
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{log: opts.Logger, dir: opts.StorageDir, ctx: ctx, sites: map[string]*site{}, static: map[StaticPair]string{}}
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return m.magic, nil },
		RenewCheckInterval: opts.RenewCheckInterval,
		Logger:             zl,
	})
	m.stop = sync.OnceFunc(func() {
		cancel()
		m.cache.Stop()
	})
	storage := &certmagic.FileStorage{Path: opts.StorageDir}
	base := certmagic.Config{Storage: storage, Logger: zl, OnEvent: m.onEvent}
	m.magic = certmagic.New(m.cache, base)
	onDemand := base
	onDemand.OnDemand = &certmagic.OnDemandConfig{DecisionFunc: m.decide}
	m.handshake = certmagic.New(m.cache, onDemand)

	var issuer certmagic.Issuer
	if opts.ACME != nil {
		m.source = SourceACME
		m.acme = certmagic.NewACMEIssuer(m.magic, acmeTemplate(opts, zl))
		issuer = m.acme
	} else {
		m.source = SourceLocal
		local, err := openLocalCA(ctx, storage, opts.LocalValidity)
		if err != nil {
			m.Stop()
			return nil, err
		}
		m.local, issuer = local, local
	}
	m.magic.Issuers = []certmagic.Issuer{issuer}
	m.handshake.Issuers = []certmagic.Issuer{issuer}
	return m, nil
}

// LocalRootFile is where the local CA's root certificate is kept, for
// development machines to import; "" with ACME.
func (m *Manager) LocalRootFile() string {
	if m.local == nil {
		return ""
	}
	return filepath.Join(m.dir, filepath.FromSlash(localRootCertKey))
}

// SetSites makes sites the hosts served over TLS: new automatic hosts start
// obtaining (in the background), static pairs are read again, and hosts no
// longer listed are forgotten. A failure is recorded on its hosts, never
// returned: the other hosts must go on.
func (m *Manager) SetSites(sites []Site) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.sites
	m.sites = make(map[string]*site, len(sites))
	var manage []string
	pairs := map[StaticPair][]string{}
	for _, s := range sites {
		st := &site{static: s.Static}
		if prev, ok := old[s.Host]; ok && (prev.static == nil) == (s.Static == nil) {
			st.lastErr, st.errAt = prev.lastErr, prev.errAt
		}
		m.sites[s.Host] = st
		switch {
		case s.Static != nil:
			pairs[*s.Static] = append(pairs[*s.Static], s.Host)
		case m.acme != nil && !certmagic.SubjectQualifiesForPublicCert(s.Host):
			st.fail(fmt.Errorf("%s cannot have a certificate from a public CA (a loopback, internal or IP name); give its service a tls block with a certificate", s.Host))
		default:
			st.managed = true
			manage = append(manage, s.Host)
		}
	}
	m.loadStatic(pairs)
	var forget []certmagic.SubjectIssuer
	for host, st := range old {
		if now, ok := m.sites[host]; st.managed && (!ok || !now.managed) {
			forget = append(forget, certmagic.SubjectIssuer{Subject: host})
		}
	}
	if len(forget) > 0 {
		m.cache.RemoveManaged(forget)
	}
	if err := m.magic.ManageAsync(m.ctx, manage); err != nil {
		m.log.Error("certificates: start managing", "err", err)
	}
}

// loadStatic (re)loads every pair, then drops pairs no longer used; a new
// copy is in the cache before the old one leaves, so no handshake falls in
// between.
func (m *Manager) loadStatic(pairs map[StaticPair][]string) {
	loaded := make(map[StaticPair]string, len(pairs))
	for pair, hosts := range pairs {
		hash, err := m.loadPair(pair, hosts)
		if err != nil {
			for _, h := range hosts {
				m.sites[h].fail(err)
			}
			m.log.Error("certificates: static pair", "hosts", hosts, "err", err)
			continue
		}
		loaded[pair] = hash
	}
	var drop []string
	for pair, hash := range m.static {
		if loaded[pair] != hash {
			drop = append(drop, hash)
		}
	}
	if len(drop) > 0 {
		m.cache.Remove(drop)
	}
	m.static = loaded
}

// loadPair reads one pair and checks it covers its hosts; a host it does
// not cover is marked failing, the others use it.
func (m *Manager) loadPair(pair StaticPair, hosts []string) (string, error) {
	cert, err := tls.LoadX509KeyPair(pair.Certificate, pair.Key)
	if err != nil {
		return "", fmt.Errorf("certificate %s with key %s: %w", pair.Certificate, pair.Key, err)
	}
	for _, h := range hosts {
		st := m.sites[h]
		if err := cert.Leaf.VerifyHostname(h); err != nil {
			st.fail(fmt.Errorf("certificate %s does not cover %s", pair.Certificate, h))
			continue
		}
		st.lastErr, st.errAt = "", time.Time{}
	}
	return m.handshake.CacheUnmanagedTLSCertificate(m.ctx, cert, []string{staticTag})
}

func (s *site) fail(err error) {
	s.lastErr, s.errAt = err.Error(), time.Now()
}

// Has reports whether host is served over TLS (with a working certificate
// or not): plain-HTTP requests for it may be redirected.
func (m *Manager) Has(host string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.sites[host]
	return ok
}

// decide allows certmagic to obtain a certificate during a handshake only
// for the configured automatic hosts, never for whatever name a client
// sends.
func (m *Manager) decide(_ context.Context, name string) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if st, ok := m.sites[name]; ok && st.managed {
		return nil
	}
	return fmt.Errorf("%q is not a host with an automatic certificate", name)
}

// onEvent records the outcome of obtaining and renewing per host, for
// Status; certmagic logs the details itself.
func (m *Manager) onEvent(_ context.Context, event string, data map[string]any) error {
	host, _ := data["identifier"].(string)
	if host == "" {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.sites[host]
	if !ok || !st.managed {
		return nil
	}
	switch event {
	case "cert_failed":
		err, _ := data["error"].(error)
		if err == nil {
			err = errors.New("certificate could not be obtained")
		}
		st.fail(err)
	case "cert_obtained":
		st.lastErr, st.errAt = "", time.Time{}
	}
	return nil
}

// TLSConfig is the configuration of the proxy's TLS listeners: TLS 1.2 and
// later, HTTP/2, and the TLS-ALPN-01 challenge.
func (m *Manager) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: m.handshake.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1", acmez.ACMETLS1Protocol},
	}
}

// HTTPChallenges answers ACME HTTP-01 challenges on the plain-HTTP
// listener and passes every other request to next.
func (m *Manager) HTTPChallenges(next http.Handler) http.Handler {
	if m.acme == nil {
		return next
	}
	return m.acme.HTTPChallengeHandler(next)
}

// Stop ends obtaining and renewal.
func (m *Manager) Stop() { m.stop() }
