package config

import (
	"path/filepath"
	"regexp"
	"text/template"

	"github.com/hashicorp/hcl/v2"
)

// templatePrefixRe matches what text/template puts before its parse errors
// ("template: NAME:LINE: "); with an unnamed template it says nothing useful.
var templatePrefixRe = regexp.MustCompile(`^template: :\d+: `)

func (c *checker) templates(raws []*rawTemplate) []Template {
	var out []Template
	dests := map[string]hcl.Range{} // cleaned destination -> its expression
	for _, r := range raws {
		src, srcOK := c.localPath(r.Source, r.DefRange, "source",
			"the file to render, relative to the stack directory, such as source = \"etc/zope.conf.tmpl\"")
		dst, dstOK := c.localPath(r.Destination, r.DefRange, "destination",
			"where to write the rendered file, relative to the stack directory, such as destination = \"etc/zope-{{.Instance}}.conf\"")
		if dstOK {
			dstOK = c.destination(dst, r.Destination.Range())
		}
		if !srcOK || !dstOK {
			continue
		}
		key := filepath.Clean(dst)
		if key == src {
			// Every instance after the first would render the output of
			// the one before, and the release would no longer be the
			// build it claims to be.
			c.add(errorf(r.Destination.Range(), "Template overwrites its source",
				"%q is also the source; write the rendered file elsewhere, such as %q.", dst, dst+".out"))
			continue
		}
		if first, dup := dests[key]; dup {
			c.add(errorf(r.Destination.Range(), "Duplicate template destination",
				"%q is already written by the template at %s; one would overwrite the other. Render to different files.", dst, where(first)))
			continue
		}
		dests[key] = r.Destination.Range()
		out = append(out, Template{Source: src, Destination: dst})
	}
	return out
}

// localPath decodes a required path that must stay inside the directory it
// is relative to: templates are read from the release and written into the
// slot's own stack directory, and neither may reach outside. It returns the
// source path cleaned and the destination as written (cleaning could alter
// the text of template actions in it).
func (c *checker) localPath(expr hcl.Expression, block hcl.Range, name, what string) (string, bool) {
	p, st := decode[string](c, expr)
	switch st {
	case absent:
		c.add(errorf(block, "Missing "+name, "A template needs a %s: %s.", name, what))
		return "", false
	case invalid:
		return "", false
	}
	clean := filepath.Clean(p)
	if p == "" || clean == "." || !filepath.IsLocal(clean) {
		c.add(errorf(expr.Range(), "Invalid template "+name,
			"%q must be a relative path to a file that stays inside its directory (no leading \"/\", no \"..\" that leaves it): %s.", p, what))
		return "", false
	}
	if name == "source" {
		return clean, true
	}
	return p, true
}

// destination checks that a destination parses as a Go template, so that a
// typo in an action is found now rather than when a stack starts.
func (c *checker) destination(dst string, rng hcl.Range) bool {
	if _, err := template.New("").Parse(dst); err != nil {
		c.add(errorf(rng, "Invalid template destination",
			"%q is not a valid Go template: %s.", dst, templatePrefixRe.ReplaceAllString(err.Error(), "")))
		return false
	}
	return true
}
