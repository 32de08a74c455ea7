package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// defaultChallenges are the ACME challenges answered when acme leaves
// challenges out: the two that need nothing but the proxy's own listeners.
var defaultChallenges = []string{ChallengeHTTP01, ChallengeTLSALPN01}

// httpsExample is the https_listen setting that messages suggest.
const httpsExample = `https_listen = ["0.0.0.0:443"]`

// proxyTLS checks the HTTPS settings of a proxy block into p. plain are its
// valid plain-HTTP listen addresses, which no HTTPS address may take too.
func (c *checker) proxyTLS(r *rawProxy, p *Proxy, plain []item) {
	addrs, st := c.stringList(r.HTTPSListen)
	if st == valid {
		https := c.listen("https_listen", addrs)
		c.listenOverlap(https, plain)
		p.HTTPSListen = itemValues(https)
	}
	// An https_listen in error still means HTTPS is wanted: saying that the
	// settings below need it would send the operator the wrong way.
	c.https = st == invalid || len(addrs) > 0

	localCA, _ := decode[bool](c, r.LocalCA)
	redirect, _ := decode[bool](c, r.RedirectHTTP)
	hsts, hstsState := decode[string](c, r.HSTS)
	if hstsState == valid && hsts != "" && c.hsts(hsts, r.HSTS.Range()) {
		p.HSTS = hsts
	}
	p.RedirectHTTP = redirect

	once(c, "acme", r.ACMEs, func(r *rawACME) hcl.Range { return r.DefRange })
	var acme *ACME
	for i, ra := range r.ACMEs {
		if a := c.acme(ra); i == 0 {
			acme = a
		}
	}
	if len(r.ACMEs) > 0 && localCA {
		first, later := firstSetting([]setting{
			{what: "the acme block", rng: r.ACMEs[0].DefRange},
			{what: "local_ca = true", rng: r.LocalCA.Range()},
		})
		c.add(errorf(later[0].rng, "Conflicting certificate sources",
			"Certificates already come from %s at %s. Choose one: acme for publicly trusted certificates, or local_ca = true for development certificates that browsers do not trust; remove the other.",
			first.what, where(first.rng)))
	}

	if !c.https {
		c.needHTTPS(r, localCA, redirect, hsts)
		return
	}
	switch {
	case localCA:
		p.LocalCA = true
	case acme != nil:
		p.ACME = acme
	default:
		p.ACME = &ACME{CA: DefaultACMECA, Challenges: slices.Clone(defaultChallenges)}
	}
}

// needHTTPS reports every setting that only HTTPS uses, in a proxy block
// without https_listen.
func (c *checker) needHTTPS(r *rawProxy, localCA, redirect bool, hsts string) {
	var unused []setting
	if len(r.ACMEs) > 0 {
		unused = append(unused, setting{what: "the acme block", rng: r.ACMEs[0].DefRange})
	}
	if localCA {
		unused = append(unused, setting{what: "local_ca = true", rng: r.LocalCA.Range()})
	}
	if redirect {
		unused = append(unused, setting{what: "redirect_http = true", rng: r.RedirectHTTP.Range()})
	}
	if hsts != "" {
		unused = append(unused, setting{what: "hsts", rng: r.HSTS.Range()})
	}
	for _, u := range unused {
		c.add(errorf(u.rng, "Missing https_listen",
			"Without https_listen the proxy serves plain HTTP only, so %s has no use. Add %s to the proxy block, or remove %s.",
			u.what, httpsExample, u.what))
	}
}

// listenOverlap reports every HTTPS address that would bind the port of a
// plain-HTTP one: one listener cannot serve both. The default listen
// address comes with an empty range.
func (c *checker) listenOverlap(https, plain []item) {
	for _, h := range https {
		for _, l := range plain {
			if !sameSocket(h.val, l.val) {
				continue
			}
			what := fmt.Sprintf("the listen address %q at %s", l.val, where(l.rng))
			if l.rng.Filename == "" {
				what = fmt.Sprintf("the default listen address %q", l.val)
			}
			c.add(errorf(h.rng, "Port collision",
				"%q takes the port of %s; a port serves either plain HTTP or HTTPS. Choose another port, such as \"0.0.0.0:443\", or another listen address.",
				h.val, what))
			break
		}
	}
}

// sameSocket reports whether two valid "host:port" addresses would bind one
// port on a common interface: the same port, and the same host or one that
// means every interface.
func sameSocket(a, b string) bool {
	ha, pa, _ := net.SplitHostPort(a)
	hb, pb, _ := net.SplitHostPort(b)
	na, _ := parsePort(pa)
	nb, _ := parsePort(pb)
	if na != nb {
		return false
	}
	ia, errA := netip.ParseAddr(ha)
	ib, errB := netip.ParseAddr(hb)
	switch {
	case ha == "" || hb == "" || errA == nil && ia.IsUnspecified() || errB == nil && ib.IsUnspecified():
		return true
	case errA == nil && errB == nil:
		return ia.Unmap() == ib.Unmap()
	}
	return strings.EqualFold(ha, hb)
}

func (c *checker) acme(r *rawACME) *ACME {
	a := &ACME{CA: DefaultACMECA, Challenges: slices.Clone(defaultChallenges)}
	if ca, st := decode[string](c, r.CA); st == valid && c.acmeCA(ca, r.CA.Range()) {
		a.CA = ca
	}
	if email, st := decode[string](c, r.Email); st == valid && email != "" && c.acmeEmail(email, r.Email.Range()) {
		a.Email = email
	}
	if path, st := c.path(r.TrustedRoots, ""); st == valid && c.trustedRoots(path, r.TrustedRoots.Range()) {
		a.TrustedRoots = path
	}
	if items, st := c.stringList(r.Challenges); st == valid {
		if ch, ok := c.challenges(items, r.Challenges.Range()); ok {
			a.Challenges = ch
		}
	}
	return a
}

// acmeCA reports whether ca can be the URL of an ACME directory, which
// RFC 8555 serves over HTTPS only.
func (c *checker) acmeCA(ca string, rng hcl.Range) bool {
	u, err := url.Parse(ca)
	var problem string
	switch {
	case err != nil:
		problem = "is not a URL"
	case u.Scheme != "https":
		problem = "must start with https://, since ACME is served over HTTPS only"
	case u.Host == "" || u.Hostname() == "":
		problem = "has no host"
	case u.User != nil:
		problem = "holds credentials, which ACME does not take in the URL"
	default:
		return true
	}
	c.add(errorf(rng, "Invalid ACME CA",
		"%q %s. Write the directory URL of the certificate authority, such as %q, or remove ca to use Let's Encrypt.", ca, problem, DefaultACMECA))
	return false
}

// acmeEmail reports whether email is a bare address, which the ACME account
// takes as a mailto: contact.
func (c *checker) acmeEmail(email string, rng hcl.Range) bool {
	addr, err := mail.ParseAddress(email)
	switch {
	case err != nil:
		c.add(errorf(rng, "Invalid ACME email",
			"%q is not an email address (%s). Write a bare address, such as \"ops@example.org\", or remove email to register without a contact.", email, err))
		return false
	case addr.Address != email:
		c.add(errorf(rng, "Invalid ACME email",
			"%q is not a bare address; write %q, without a name, angle brackets or spaces.", email, addr.Address))
		return false
	}
	return true
}

// trustedRoots reports whether the file at path holds root certificates to
// trust for the ACME CA's own HTTPS endpoint, and says at rng why not.
func (c *checker) trustedRoots(path string, rng hcl.Range) bool {
	data, err := readPEMFile(path)
	if err != nil {
		c.add(errorf(rng, "Cannot read trusted roots",
			"%s. Write the path of the PEM file of the CA's root certificates, relative to the configuration file's directory or absolute.", err))
		return false
	}
	n := 0
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		n++
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			c.add(errorf(rng, "Invalid trusted roots",
				"Certificate %d of %s does not parse: %s. Replace it with the CA's root certificate in PEM form.", n, path, err))
			return false
		}
	}
	if n == 0 {
		c.add(errorf(rng, "Invalid trusted roots",
			"%s holds no PEM \"CERTIFICATE\" block. Write the path of the CA's root certificates in PEM form, each starting with -----BEGIN CERTIFICATE-----.", path))
		return false
	}
	return true
}

// challenges checks the ACME challenges to answer and returns them in file
// order.
func (c *checker) challenges(items []item, rng hcl.Range) ([]string, bool) {
	if len(items) == 0 {
		c.add(errorf(rng, "No ACME challenges",
			"List at least one of %q and %q, or remove challenges to answer both.", ChallengeHTTP01, ChallengeTLSALPN01))
		return nil, false
	}
	ok := true
	var out []string
	seen := map[string]hcl.Range{}
	for _, it := range items {
		if !slices.Contains(defaultChallenges, it.val) {
			hint := ""
			if lower := strings.ToLower(it.val); slices.Contains(defaultChallenges, lower) {
				hint = fmt.Sprintf(" Write %q.", lower)
			}
			c.add(errorf(it.rng, "Unknown ACME challenge",
				"%q is not a challenge deploy answers; the valid ones are %q (on the plain-HTTP listener, which the CA reaches on port 80) and %q (on the HTTPS listener, reached on port 443).%s",
				it.val, ChallengeHTTP01, ChallengeTLSALPN01, hint))
			ok = false
			continue
		}
		if first, dup := seen[it.val]; dup {
			c.add(errorf(it.rng, "Duplicate ACME challenge",
				"%q is already listed at %s; remove one.", it.val, where(first)))
			ok = false
			continue
		}
		seen[it.val] = it.rng
		out = append(out, it.val)
	}
	return out, ok
}

// hsts reports whether v can be sent as the Strict-Transport-Security
// header, and says at rng why not.
func (c *checker) hsts(v string, rng hcl.Range) bool {
	problem := hstsProblem(v)
	if problem == "" {
		return true
	}
	c.add(errorf(rng, "Invalid hsts",
		"%q is not a Strict-Transport-Security value: %s. Write such as \"max-age=31536000\" or \"max-age=31536000; includeSubDomains\", or \"\" to send none.", v, problem))
	return false
}

// hstsProblem says what keeps v from being a Strict-Transport-Security
// value (RFC 6797) with the directives browsers know, "" when nothing does.
func hstsProblem(v string) string {
	if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r > '~' }) {
		return "it must be printable ASCII"
	}
	seen := map[string]bool{}
	for d := range strings.SplitSeq(v, ";") {
		name, value, hasValue := strings.Cut(d, "=")
		name, value = strings.Trim(name, " "), strings.Trim(value, " ")
		key := strings.ToLower(name)
		switch key {
		case "":
			if hasValue {
				return "a directive has no name"
			}
			continue // RFC 6797 allows empty directives, as after a final ";"
		case "max-age":
			if value == "" || strings.Trim(value, "0123456789") != "" {
				return "max-age takes a number of seconds, as in max-age=31536000"
			}
		case "includesubdomains", "preload":
			if hasValue {
				return name + " takes no value"
			}
		default:
			return fmt.Sprintf("the directive %s is unknown; use max-age, includeSubDomains and preload", name)
		}
		if seen[key] {
			return name + " is given twice"
		}
		seen[key] = true
	}
	if !seen["max-age"] {
		return "it needs a max-age directive"
	}
	return ""
}

// serviceTLS checks the tls blocks of a service whose hosts and preview
// hosts are already checked.
func (c *checker) serviceTLS(r *rawService, s *Service) *StaticTLS {
	once(c, "tls", r.TLSs, func(r *rawTLS) hcl.Range { return r.DefRange })
	if len(r.TLSs) == 0 {
		return nil
	}
	var out *StaticTLS
	for i, rt := range r.TLSs {
		if t := c.tlsBlock(rt); i == 0 {
			out = t
		}
	}
	switch {
	case !c.https:
		c.add(warnf(r.TLSs[0].DefRange, "Unused tls block",
			"Without https_listen the proxy serves plain HTTP only, so service %q's certificate is never served. Add %s to the proxy block, or remove the tls block.",
			s.Name, httpsExample))
	case out != nil:
		c.staticPair(r.TLSs[0], s, out)
	}
	return out
}

func (c *checker) tlsBlock(r *rawTLS) *StaticTLS {
	cert, certState := c.path(r.Certificate, "")
	key, keyState := c.path(r.Key, "")
	if certState == absent {
		c.add(errorf(r.DefRange, "Missing certificate",
			"The tls block needs certificate, the path of the PEM certificate chain with the site's certificate first, such as certificate = \"certs/site.pem\"; relative paths start at the configuration file's directory."))
	}
	if keyState == absent {
		c.add(errorf(r.DefRange, "Missing key",
			"The tls block needs key, the path of the PEM private key of the certificate, such as key = \"certs/site.key\"; relative paths start at the configuration file's directory."))
	}
	if certState != valid || keyState != valid {
		return nil
	}
	return &StaticTLS{Certificate: cert, Key: key}
}

// staticPair warns when the proxy could not serve the pair t for s's hosts.
// A broken pair is no error: the proxy serves every other host without it,
// and a renewal in progress must not stop a deploy. But the operator
// should hear of it before a browser does.
func (c *checker) staticPair(r *rawTLS, s *Service, t *StaticTLS) {
	leaf, err := loadLeaf(t)
	if err != nil {
		c.add(warnf(r.DefRange, "Unusable certificate",
			"The certificate and key cannot be loaded: %s. Until they are fixed, the hosts of service %q fail their TLS handshakes; the other services are not affected.",
			err, s.Name))
		return
	}
	for _, h := range slices.Concat(s.Hosts, s.Preview.Hosts) {
		if leaf.VerifyHostname(h) != nil {
			c.add(warnf(r.Certificate.Range(), "Certificate does not cover host",
				"The certificate of service %q is not valid for %q, so clients will refuse it there. Add the host to the certificate's names, or serve the host from another service.",
				s.Name, h))
		}
	}
}

// loadLeaf loads the pair as the proxy will and returns its leaf
// certificate.
func loadLeaf(t *StaticTLS) (*x509.Certificate, error) {
	cert, err := readPEMFile(t.Certificate)
	if err != nil {
		return nil, err
	}
	key, err := readPEMFile(t.Key)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		return nil, fmt.Errorf("%s and %s: %w", t.Certificate, t.Key, err)
	}
	if pair.Leaf != nil {
		return pair.Leaf, nil
	}
	return x509.ParseCertificate(pair.Certificate[0])
}

// readPEMFile reads the regular file at path, of at most maxPEMFile bytes.
// tls.LoadX509KeyPair is not used because it reads whatever path names to
// its end, such as /dev/zero.
func readPEMFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := readUpTo(path, maxPEMFile)
	if err != nil {
		return nil, err
	}
	if len(data) > maxPEMFile {
		return nil, fmt.Errorf("%s is over %d bytes, too large for PEM certificates or keys", path, maxPEMFile)
	}
	return data, nil
}
