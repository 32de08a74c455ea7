package certs

import (
	"crypto/x509"
	"maps"
	"slices"
	"time"
)

// HostStatus is the certificate state of one host.
type HostStatus struct {
	Host   string `json:"host"`
	Source string `json:"source"` // SourceACME, SourceLocal or SourceStatic
	// Issuer, NotAfter and RenewAt describe the certificate served now;
	// they are empty while the host has none.
	Issuer   string    `json:"issuer,omitempty"`
	NotAfter time.Time `json:"not_after,omitzero"`
	// RenewAt is when renewal becomes due by the certificate's lifetime;
	// an ACME CA's renewal information may move it earlier. Static
	// certificates are never renewed by deploy.
	RenewAt time.Time `json:"renew_at,omitzero"`
	// LastError is the latest failure to obtain, renew or load the
	// certificate, cleared by the next success.
	LastError string    `json:"last_error,omitempty"`
	ErrorAt   time.Time `json:"error_at,omitzero"`
}

// Status reports every host, sorted by name.
func (m *Manager) Status() []HostStatus {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]HostStatus, 0, len(m.sites))
	for _, host := range slices.Sorted(maps.Keys(m.sites)) {
		st := m.sites[host]
		hs := HostStatus{Host: host, Source: m.source, LastError: st.lastErr, ErrorAt: st.errAt}
		if st.static != nil {
			hs.Source = SourceStatic
		}
		if leaf := m.served(host, st.static != nil); leaf != nil {
			hs.Issuer = issuerName(leaf)
			hs.NotAfter = leaf.NotAfter
			if st.managed {
				lifetime := leaf.NotAfter.Sub(leaf.NotBefore)
				hs.RenewAt = leaf.NotAfter.Add(-time.Duration(float64(lifetime) * m.magic.RenewalWindowRatio))
			}
		}
		out = append(out, hs)
	}
	return out
}

// served is the leaf of the certificate a handshake for host gets: of the
// kind the host uses (static or managed), the one valid longest.
func (m *Manager) served(host string, static bool) *x509.Certificate {
	var best *x509.Certificate
	for _, c := range m.cache.AllMatchingCertificates(host) {
		if c.HasTag(staticTag) != static || c.Leaf == nil {
			continue
		}
		if best == nil || c.Leaf.NotAfter.After(best.NotAfter) {
			best = c.Leaf
		}
	}
	return best
}

func issuerName(c *x509.Certificate) string {
	switch {
	case c.Issuer.CommonName != "":
		return c.Issuer.CommonName
	case len(c.Issuer.Organization) > 0:
		return c.Issuer.Organization[0]
	}
	return c.Issuer.String()
}
