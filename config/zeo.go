package config

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// zeos checks every zeo block. They are checked before the services so that
// a service may name a zeo block defined further down the file.
func (c *checker) zeos(raws []*rawZEO) []*ZEO {
	c.zeoNames = map[string]hcl.Range{}
	c.zeoStorages = map[string][]string{}
	var out []*ZEO
	for _, r := range raws {
		// Invalid names are remembered too: a service naming one would
		// otherwise get a second error that fixing the name removes.
		ok := c.name("zeo", r.Name, r.NameRange)
		first, dup := c.zeoNames[r.Name]
		if dup && ok {
			c.add(errorf(r.NameRange, "Duplicate zeo server",
				"ZEO server %q is already defined (first defined at %s). Rename or remove one of them.", r.Name, where(first)))
		}
		z, storagesOK := c.zeo(r)
		if !dup {
			c.zeoNames[r.Name] = r.NameRange
			c.zeoOrder = append(c.zeoOrder, r.Name)
			if storagesOK {
				c.zeoStorages[r.Name] = z.Storages
			}
		}
		out = append(out, z)
	}
	return out
}

// zeo checks one zeo block, and reports whether its storages were written
// without error.
func (c *checker) zeo(r *rawZEO) (*ZEO, bool) {
	z := &ZEO{Name: r.Name, Storages: slices.Clone(defaultStorages)}
	addr, st := decode[string](c, r.Address)
	switch {
	case st == absent:
		c.add(errorf(r.DefRange, "Missing address",
			"ZEO server %q needs an address, such as address = \"127.0.0.1:8100\" or address = \"/var/run/zeo.sock\".", r.Name))
	case st == valid && c.zeoAddress(addr, r.Address.Range()):
		z.Address = addr
	}

	items, st := c.stringList(r.Storages)
	storagesOK := st != invalid
	switch {
	case st == valid && len(items) == 0:
		c.add(errorf(r.Storages.Range(), "No storages",
			"List the storage names the server serves, such as storages = [\"main\"], or remove the setting to use ZEO's default storage \"1\"."))
		storagesOK = false
	case st == valid:
		z.Storages, storagesOK = c.storages(items)
	}

	once(c, "managed", r.Manageds, func(r *rawManaged) hcl.Range { return r.DefRange })
	for i, rm := range r.Manageds {
		if m := c.managedZEO(r, rm); i == 0 {
			z.Managed = m
		}
	}
	if len(r.Manageds) > 0 {
		c.managedAddress(r, z.Address)
	}
	return z, storagesOK
}

// zeoAddress reports whether addr is a "host:port" address or the absolute
// path of a Unix socket, the two forms a ZEO client connects to.
func (c *checker) zeoAddress(addr string, rng hcl.Range) bool {
	if strings.HasPrefix(addr, "/") {
		// A longer path cannot be connected to (see maxSocketPath).
		if len(addr) > maxSocketPath {
			c.add(errorf(rng, "Socket path too long",
				"The ZEO socket path is %d bytes; Unix sockets allow at most %d.", len(addr), maxSocketPath))
			return false
		}
		return true
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		c.add(errorf(rng, "Invalid ZEO address",
			"%q is neither a \"host:port\" address nor an absolute Unix socket path. Write, for example, \"127.0.0.1:8100\", \"zeo.example.org:8100\" or \"/var/run/zeo.sock\".", addr))
		return false
	}
	if _, ok := parsePort(port); !ok {
		c.add(errorf(rng, "Invalid ZEO port",
			"The port of %q must be a number from 1 to 65535.", addr))
		return false
	}
	if _, err := netip.ParseAddr(host); err != nil && !validHostName(host) {
		c.add(errorf(rng, "Invalid ZEO address",
			"%q is neither an IP address nor a host name.", host))
		return false
	}
	return true
}

// storages checks storage names: each must be a non-empty name listed once.
// It reports whether all of them were.
func (c *checker) storages(items []item) ([]string, bool) {
	var out []string
	seen := map[string]hcl.Range{}
	for _, it := range items {
		if it.val == "" {
			c.add(errorf(it.rng, "Empty storage name",
				"Storage names must not be empty; write the name from the server's zeo.conf, such as \"main\"."))
			continue
		}
		if first, dup := seen[it.val]; dup {
			c.add(errorf(it.rng, "Duplicate storage",
				"%q is already listed at %s; remove one.", it.val, where(first)))
			continue
		}
		seen[it.val] = it.rng
		out = append(out, it.val)
	}
	return out, len(out) == len(items)
}

// serviceZEO checks a service's reference to a zeo block. An unknown name
// is invalid, so that what depends on the server is not reported again.
func (c *checker) serviceZEO(expr hcl.Expression) (string, state) {
	name, st := decode[string](c, expr)
	if st != valid {
		return "", st
	}
	if _, ok := c.zeoNames[name]; ok {
		return name, valid
	}
	if len(c.zeoOrder) == 0 {
		c.add(errorf(expr.Range(), "Unknown zeo server",
			"No zeo block is named %q; there is none. Define it, such as zeo %q { address = \"127.0.0.1:8100\" }.", name, name))
		return "", invalid
	}
	c.add(errorf(expr.Range(), "Unknown zeo server",
		"No zeo block is named %q; the known ones are %s.", name, c.knownZEOs()))
	return "", invalid
}

// knownZEOs lists the zeo block names for a message, such as
// `"main", "catalog"`.
func (c *checker) knownZEOs() string {
	return quoteAll(c.zeoOrder)
}

// quoteAll quotes each of names and joins them with commas.
func quoteAll(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return strings.Join(quoted, ", ")
}
