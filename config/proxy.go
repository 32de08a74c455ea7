package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

func (c *checker) proxy(raws []*rawProxy) Proxy {
	once(c, "proxy", raws, func(r *rawProxy) hcl.Range { return r.DefRange })
	if len(raws) == 0 {
		return c.proxyBlock(nil)
	}
	p := c.proxyBlock(raws[0])
	// Only the first block's listen ports take part in port collisions, and
	// only its https_listen gives service certificates a use, but the others
	// are checked so that removing them reveals no new errors.
	ports, https := c.ports, c.https
	for _, r := range raws[1:] {
		c.proxyBlock(r)
	}
	c.ports, c.https = ports, https
	return p
}

func (c *checker) proxyBlock(r *rawProxy) Proxy {
	p := Proxy{Listen: []string{defaultListen}, HealthPath: defaultHealthPath}
	if r == nil {
		c.ports = append(c.ports, listenRange("listen", defaultListen))
		return p
	}
	// plain are the valid plain-HTTP addresses, which an HTTPS one must
	// not take too; the default has no range of its own.
	var plain []item
	listen, st := c.stringList(r.Listen)
	switch {
	case st == absent:
		c.ports = append(c.ports, listenRange("listen", defaultListen))
		plain = []item{{val: defaultListen}}
	case st == valid && len(listen) == 0:
		c.add(errorf(r.Listen.Range(), "No listen address",
			"List at least one \"host:port\" address, such as listen = [\"127.0.0.1:8080\"], or remove the setting to use that default."))
	case st == valid:
		plain = c.listen("listen", listen)
		p.Listen = itemValues(plain)
	}
	if trusted, st := c.stringList(r.TrustedProxies); st == valid {
		p.TrustedProxies = c.trustedProxies(trusted)
	}
	if path, st := decode[string](c, r.HealthPath); st == valid && c.healthPath(path, r.HealthPath.Range()) {
		p.HealthPath = path
	}
	c.proxyTLS(r, &p, plain)
	p.AccessLog = c.accessLog(r.AccessLogs)
	// The default stays with the proxy, which applies it to every server
	// it makes; 0 here means "not set", since a set size is never 0.
	p.MaxBodySize = c.size(r.MaxBodySize, 0)
	return p
}

// healthPath reports whether path can be the proxy's own health path: ""
// (off), or a path the proxy compares with the request's path alone.
func (c *checker) healthPath(path string, rng hcl.Range) bool {
	if path == "" || strings.HasPrefix(path, "/") && !strings.ContainsFunc(path, func(r rune) bool {
		return r <= ' ' || r == 0x7f || r == '?' || r == '#'
	}) {
		return true
	}
	c.add(errorf(rng, "Invalid health_path",
		"%q must be a path starting with \"/\", without query, fragment or spaces, such as \"/.deploy/health\"; or \"\" to turn the proxy's health answer off.", path))
	return false
}

// listen checks the addresses of setting (listen or https_listen), claims
// their ports and returns the valid ones.
func (c *checker) listen(setting string, addrs []item) []item {
	var out []item
	seen := map[string]hcl.Range{}
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a.val)
		if err != nil {
			c.add(errorf(a.rng, "Invalid "+setting+" address",
				"%q is not a \"host:port\" address. Write, for example, \"127.0.0.1:8080\", \"[::1]:8080\" or \":8080\" for every interface.", a.val))
			continue
		}
		n, ok := parsePort(port)
		if !ok {
			c.add(errorf(a.rng, "Invalid "+setting+" port",
				"The port of %q must be a number from 1 to 65535.", a.val))
			continue
		}
		key := net.JoinHostPort(strings.ToLower(host), strconv.Itoa(n))
		if first, dup := seen[key]; dup {
			c.add(errorf(a.rng, "Duplicate "+setting+" address",
				"%q is already listed at %s; remove one.", a.val, where(first)))
			continue
		}
		seen[key] = a.rng
		out = append(out, a)
		c.ports = append(c.ports, listenRange(setting, a.val))
	}
	return out
}

// itemValues returns the values of items, nil when there are none.
func itemValues(items []item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.val)
	}
	return out
}

func (c *checker) trustedProxies(items []item) []netip.Prefix {
	var out []netip.Prefix
	for _, it := range items {
		if p, err := netip.ParsePrefix(it.val); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(it.val)
		if err != nil || a.Zone() != "" {
			c.add(errorf(it.rng, "Invalid trusted proxy",
				"%q is neither an IP address nor a CIDR prefix. Write, for example, \"127.0.0.1\", \"10.0.0.0/8\" or \"::1\".", it.val))
			continue
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out
}

// listenRange is the port range of an address of setting (listen or
// https_listen) known to be valid.
func listenRange(setting, addr string) portRange {
	_, port, _ := net.SplitHostPort(addr)
	n, _ := parsePort(port)
	return portRange{lo: n, hi: n, owner: fmt.Sprintf("proxy %s address %q", setting, addr)}
}

// parsePort accepts decimal port numbers 1..65535 only. strconv.Atoi alone
// would also take "+80", which the listener would then refuse.
func parsePort(s string) (int, bool) {
	if s == "" || len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= 65535
}
