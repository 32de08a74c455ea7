package config

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// web checks the controller's web block: the status page.
func (c *checker) web(raws []*rawWeb) *Web {
	once(c, "web", raws, func(r *rawWeb) hcl.Range { return r.DefRange })
	var out *Web
	for i, r := range raws {
		w := &Web{}
		addr, ok := c.controllerListen("web", r.Listen, r.DefRange, "127.0.0.1:9900")
		w.Listen = addr
		tok, tokOK := c.webToken(r, "the status page's buttons")
		w.Token = tok
		if i == 0 && ok && tokOK {
			out = w
		}
	}
	return out
}

// webToken reads the token of what guards says (the page's buttons, the
// control API) from token or token_file, at most one of which may be
// written.
func (c *checker) webToken(r *rawWeb, guards string) (string, bool) {
	tok, tokSt := decode[string](c, r.Token)
	file, fileSt := c.path(r.TokenFile, "")
	switch {
	case tokSt == invalid || fileSt == invalid:
		return "", false
	case tokSt == valid && fileSt == valid:
		c.add(errorf(r.TokenFile.Range(), "Both token and token_file",
			"Write the token of %s once: token_file (better: it keeps the secret out of the configuration) or token.", guards))
		return "", false
	case tokSt == valid:
		return tok, c.tokenStrength(tok, "token", r.Token.Range())
	case fileSt == valid:
		return c.tokenFile(file, r.TokenFile.Range())
	}
	return "", true
}

// tokenFile reads a token from the first line of a file.
func (c *checker) tokenFile(path string, rng hcl.Range) (string, bool) {
	fi, err := os.Stat(path)
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	var b []byte
	if err == nil {
		b, err = readUpTo(path, maxTokenFile)
	}
	if err != nil {
		c.add(errorf(rng, "Cannot read token_file", "%s. Write the path of a file holding the token on one line.", err))
		return "", false
	}
	if len(b) > maxTokenFile {
		c.add(errorf(rng, "Token file too large", "%s is over %d bytes; it must hold one line: the token.", path, maxTokenFile))
		return "", false
	}
	tok, _, _ := strings.Cut(string(b), "\n")
	tok = strings.TrimSpace(tok)
	return tok, c.tokenStrength(tok, "the token in "+path, rng)
}

// tokenStrength reports a token too short or too odd to guard a switch.
func (c *checker) tokenStrength(tok, what string, rng hcl.Range) bool {
	if len(tok) < minWebToken || strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		c.add(errorf(rng, "Weak token",
			"%s must be at least %d characters without spaces or control characters; it guards switching a live site. Generate one with: openssl rand -hex 24",
			what, minWebToken))
		return false
	}
	return true
}

// metrics checks the controller's metrics block: the Prometheus endpoint.
func (c *checker) metrics(raws []*rawMetrics) *Metrics {
	once(c, "metrics", raws, func(r *rawMetrics) hcl.Range { return r.DefRange })
	var out *Metrics
	for i, r := range raws {
		addr, ok := c.controllerListen("metrics", r.Listen, r.DefRange, "127.0.0.1:9901")
		if i == 0 && ok {
			out = &Metrics{Listen: addr}
		}
	}
	return out
}

// controllerListen checks the required listen address of the controller's
// web or metrics block and claims its port.
func (c *checker) controllerListen(block string, expr hcl.Expression, def hcl.Range, example string) (string, bool) {
	addr, st := decode[string](c, expr)
	switch st {
	case invalid:
		return "", false
	case absent:
		c.add(errorf(def, "Missing listen address",
			"The %s block needs listen = \"host:port\", such as listen = %q.", block, example))
		return "", false
	}
	_, port, err := net.SplitHostPort(addr)
	n, ok := parsePort(port)
	if err != nil || !ok {
		c.add(errorf(expr.Range(), "Invalid "+block+" listen address",
			"%q is not a \"host:port\" address with a port from 1 to 65535. Write, for example, %q.", addr, example))
		return "", false
	}
	c.ports = append(c.ports, portRange{lo: n, hi: n, owner: fmt.Sprintf("controller %s listen address %q", block, addr)})
	return addr, true
}

// accessLog checks the proxy's access_log block.
func (c *checker) accessLog(raws []*rawAccessLog) *AccessLog {
	once(c, "access_log", raws, func(r *rawAccessLog) hcl.Range { return r.DefRange })
	var out *AccessLog
	for i, r := range raws {
		a := &AccessLog{Sample: 1}
		ok := true
		switch path, st := c.path(r.Path, ""); st {
		case valid:
			a.Path = path
		case absent:
			c.add(errorf(r.DefRange, "Missing access log path",
				"The access_log block needs path = \"FILE\", such as path = \"/var/log/deploy/access.log\"; remove the block to log no requests."))
			ok = false
		default:
			ok = false
		}
		if s, st := decode[float64](c, r.Sample); st == valid {
			if !(s > 0 && s <= 1) {
				c.add(errorf(r.Sample.Range(), "Invalid sample",
					"sample is the fraction of requests answered below 500 that are logged: more than 0, at most 1 (it is %g). 5xx answers are always logged; remove the access_log block to log none.", s))
				ok = false
			} else {
				a.Sample = s
			}
		} else if st == invalid {
			ok = false
		}
		if i == 0 && ok {
			out = a
		}
	}
	return out
}
