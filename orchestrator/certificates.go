package orchestrator

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"deploy/config"
	"deploy/proxy"
	"deploy/proxy/certs"
)

// certificatesDir is where certificates, keys, ACME accounts and the
// local CA live, under the state directory.
const certificatesDir = "tls"

// newCertificates returns the certificate manager of the proxy's TLS
// listeners, nil when the proxy has none.
func newCertificates(cfg *config.Config, log *slog.Logger) (*certs.Manager, error) {
	if len(cfg.Proxy.HTTPSListen) == 0 {
		return nil, nil
	}
	opts := certs.Options{
		StorageDir: filepath.Join(cfg.Controller.StateDir, certificatesDir),
		HTTPAddr:   cfg.Proxy.Listen[0],
		HTTPSAddr:  cfg.Proxy.HTTPSListen[0],
		Logger:     log,
	}
	if a := cfg.Proxy.ACME; a != nil {
		opts.ACME = &certs.ACME{
			CA: a.CA, Email: a.Email,
			HTTP01:    slices.Contains(a.Challenges, config.ChallengeHTTP01),
			TLSALPN01: slices.Contains(a.Challenges, config.ChallengeTLSALPN01),
		}
		if a.TrustedRoots != "" {
			pool, err := loadRoots(a.TrustedRoots)
			if err != nil {
				return nil, err
			}
			opts.ACME.TrustedRoots = pool
		}
	}
	m, err := certs.New(opts)
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	return m, nil
}

// loadRoots reads the ACME CA's trusted roots; the config checked them at
// load, but the file may have changed since.
func loadRoots(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("acme trusted_roots: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("acme trusted_roots %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// certificateSites lists every host the TLS listeners serve: each
// service's hosts and preview hosts, with the service's own pair when it
// has one.
func certificateSites(cfg *config.Config) []certs.Site {
	var sites []certs.Site
	for _, s := range cfg.Services {
		var pair *certs.StaticPair
		if s.TLS != nil {
			pair = &certs.StaticPair{Certificate: s.TLS.Certificate, Key: s.TLS.Key}
		}
		for _, h := range slices.Concat(s.Hosts, s.Preview.Hosts) {
			sites = append(sites, certs.Site{Host: h, Static: pair})
		}
	}
	return sites
}

// ServerOptions are what the proxy's listeners need from the
// configuration: the request body limit, TLS, ACME challenges, the redirect
// and HSTS.
func (c *Controller) ServerOptions() proxy.ServerOptions {
	opts := proxy.ServerOptions{MaxBodySize: c.conf().Proxy.MaxBodySize}
	if c.certs == nil {
		return opts
	}
	opts.TLS, opts.Challenges, opts.HSTS = c.certs.TLSConfig(), c.certs.HTTPChallenges, c.conf().Proxy.HSTS
	if c.conf().Proxy.RedirectHTTP {
		opts.RedirectHTTP = c.certs.Has
		opts.HTTPSPort = listenPort(c.conf().Proxy.HTTPSListen[0])
	}
	return opts
}

// certificateStatus reports the hosts of one service.
func (c *Controller) certificateStatus(sc *config.Service) []certs.HostStatus {
	if c.certs == nil {
		return nil
	}
	mine := slices.Concat(sc.Hosts, sc.Preview.Hosts)
	var out []certs.HostStatus
	for _, hs := range c.certs.Status() {
		if slices.Contains(mine, hs.Host) {
			out = append(out, hs)
		}
	}
	return out
}

func listenPort(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}
