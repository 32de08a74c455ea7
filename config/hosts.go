package config

import (
	"fmt"
	"net"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// hostClaim is where a host routes: to a service, or to its preview slot.
type hostClaim struct {
	service string
	preview bool
}

func (h hostClaim) String() string {
	if h.preview {
		return fmt.Sprintf("a preview host of service %q", h.service)
	}
	return fmt.Sprintf("a host of service %q", h.service)
}

// hostList checks hosts that route to claim and returns them lower-cased.
// The proxy matches the Host header case-insensitively and without its port,
// so hosts are stored the way they will be compared. Service and preview
// hosts share one claim map, so a collision is reported whichever of the
// two comes first in the file.
func (c *checker) hostList(claim hostClaim, items []item) []string {
	var out []string
	here := map[string]item{}
	for _, it := range items {
		h := strings.ToLower(it.val)
		if !c.host(it.val, it.rng) {
			continue
		}
		if first, dup := here[h]; dup {
			c.add(errorf(it.rng, "Duplicate host",
				"%q is already listed as %q at %s (hosts are case-insensitive); remove one.", it.val, first.val, where(first.rng)))
			continue
		}
		here[h] = it
		if owner, taken := c.hosts[h]; taken {
			why := "a host can route to one service only"
			if claim.preview || owner.preview {
				why = "a preview host must be a host of its own, or the preview would take the requests meant for the other"
			}
			c.add(errorf(it.rng, "Duplicate host",
				"%q is already %s; %s. Remove it from one of them.", h, owner, why))
			continue
		}
		c.hosts[h] = claim
		out = append(out, h)
	}
	return out
}

// host reports whether h is a DNS host name as it appears in a Host header
// without its port, and explains the common mistakes when it is not.
func (c *checker) host(h string, rng hcl.Range) bool {
	bad := func(detail string, args ...any) bool {
		c.add(errorf(rng, "Invalid host", detail, args...))
		return false
	}
	switch {
	case strings.Contains(h, "://"):
		return bad("%q has a scheme; hosts are matched on the host name alone. Remove %q.", h, h[:strings.Index(h, "://")+3])
	case strings.Contains(h, "*"):
		return bad("%q is a wildcard; list every host name explicitly, or set default = true on the service that should answer unmatched hosts.", h)
	case strings.Contains(h, "/"):
		return bad("%q has a path; hosts are matched on the host name alone.", h)
	}
	if host, port, err := net.SplitHostPort(h); err == nil && validHostName(host) {
		return bad("hosts are matched without their port; remove \":%s\" from %q.", port, h)
	}
	if !validHostName(h) {
		return bad("%q is not a valid host name: use letters, digits, '-' and '.', such as \"www.example.org\".", h)
	}
	return true
}

// validHostName follows RFC 1123: dot-separated labels of 1 to 63 letters,
// digits and inner hyphens, at most 253 bytes in all.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			default:
				return false
			}
		}
	}
	return true
}
