package certs

import (
	"net"
	"strconv"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
)

// acmeTemplate is the ACME issuer for opts.ACME. The challenges are
// answered on the proxy's own listeners: certmagic would otherwise bind
// ports 80 and 443 itself, which the proxy holds (and an unprivileged
// controller could not).
func acmeTemplate(opts Options, zl *zap.Logger) certmagic.ACMEIssuer {
	a := opts.ACME
	t := certmagic.ACMEIssuer{
		CA:                      a.CA,
		Email:                   a.Email,
		Agreed:                  true,
		TrustedRoots:            a.TrustedRoots,
		DisableHTTPChallenge:    !a.HTTP01 || opts.HTTPAddr == "",
		DisableTLSALPNChallenge: !a.TLSALPN01 || opts.HTTPSAddr == "",
		Logger:                  zl,
	}
	if host, port, ok := splitPort(opts.HTTPAddr); ok {
		t.ListenHost, t.AltHTTPPort = host, port
	}
	if _, port, ok := splitPort(opts.HTTPSAddr); ok {
		t.AltTLSALPNPort = port
	}
	return t
}

func splitPort(addr string) (string, int, bool) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, false
	}
	port, err := strconv.Atoi(p)
	return host, port, err == nil
}
