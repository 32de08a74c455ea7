package config

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

func (c *checker) virtualHost(raws []*rawVirtualHost) *VirtualHost {
	once(c, "virtual_host", raws, func(r *rawVirtualHost) hcl.Range { return r.DefRange })
	var out *VirtualHost
	for i, r := range raws {
		if vh := c.virtualHostBlock(r); i == 0 {
			out = vh
		}
	}
	return out
}

func (c *checker) virtualHostBlock(r *rawVirtualHost) *VirtualHost {
	vh := &VirtualHost{}
	root, st := decode[string](c, r.Root)
	switch {
	case st == absent:
		c.add(errorf(r.DefRange, "Missing root",
			"The virtual_host block needs root, the path of the site in the Zope object tree, such as root = \"/Plone\"; write \"/\" when the site is Zope's root."))
	case st == valid && c.zopePath(root, r.Root.Range(), "root", `"/Plone"`):
		vh.Root = root
	}
	prefix, st := decode[string](c, r.PathPrefix)
	if st == valid && c.zopePath(prefix, r.PathPrefix.Range(), "path_prefix", `"/intranet"`) {
		if prefix == "/" {
			c.add(errorf(r.PathPrefix.Range(), "Invalid path_prefix",
				"path_prefix = \"/\" adds nothing. Remove it, or write the path the site appears under, such as \"/intranet\"."))
		} else {
			vh.PathPrefix = prefix
		}
	}
	return vh
}

// zopePath reports whether p is a path in the Zope object tree as
// VirtualHostMonster and zope.conf's mount-point take it: "/", or ids after
// single slashes. Such a path goes into a rewritten URL and into zope.conf
// unescaped, so anything that would change its meaning there is refused.
// It explains at rng what is wrong; what names the setting, example is a
// good value.
func (c *checker) zopePath(p string, rng hcl.Range, what, example string) bool {
	bad := func(detail string, args ...any) bool {
		c.add(errorf(rng, "Invalid "+what, detail, args...))
		return false
	}
	if !strings.HasPrefix(p, "/") {
		return bad("%q must start with \"/\": it is a path in the Zope object tree, such as %s.", p, example)
	}
	if p == "/" {
		return true
	}
	var ids []string
	for id := range strings.SplitSeq(p[1:], "/") {
		if id != "" {
			ids = append(ids, id)
		}
	}
	// The ids are checked first, so that the path suggested for a stray
	// slash is a valid one.
	for _, id := range ids {
		if id == "." || id == ".." {
			return bad("%q has a %q segment; write the path of the object itself, such as %s.", p, id, example)
		}
		for _, r := range id {
			if r <= ' ' || r > '~' || r == '?' || r == '#' {
				return bad("%q holds %q, which a Zope path cannot: write ids of printable ASCII without spaces, \"?\" or \"#\", such as %s.", p, string(r), example)
			}
		}
	}
	clean := "/" + strings.Join(ids, "/")
	switch {
	case strings.Contains(p, "//"):
		return bad("%q has an empty segment (\"//\"); write %q.", p, clean)
	case strings.HasSuffix(p, "/"):
		return bad("%q must not end with \"/\"; write %q.", p, clean)
	}
	return true
}
