package config

import (
	"maps"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

func (c *checker) preview(service string, raws []*rawPreview) Preview {
	once(c, "preview", raws, func(r *rawPreview) hcl.Range { return r.DefRange })
	if len(raws) == 0 {
		return Preview{}
	}
	// Every block is checked so that removing a duplicate reveals no new
	// errors, but only the first claims its hosts: a repeated block that
	// lists the same hosts should not also collide with the first.
	before := maps.Clone(c.hosts)
	p := c.previewBlock(service, raws[0])
	after := c.hosts
	for _, r := range raws[1:] {
		c.hosts = maps.Clone(before)
		c.previewBlock(service, r)
	}
	c.hosts = after
	return p
}

func (c *checker) previewBlock(service string, r *rawPreview) Preview {
	var p Preview
	hosts, hostsState := c.stringList(r.Hosts)
	p.Hosts = c.hostList(hostClaim{service: service, preview: true}, hosts)
	token, tokenState := decode[string](c, r.Token)
	if tokenState == valid && c.previewToken(token, r.Token.Range()) {
		p.Token = token
	}
	if hostsState != invalid && tokenState == absent && len(hosts) == 0 {
		blame := r.DefRange
		if hostsState == valid {
			blame = r.Hosts.Range()
		}
		c.add(errorf(blame, "Preview without hosts or token",
			"A preview is reached through hosts of its own, such as hosts = [\"preview.example.org\"], or through a token sent in the X-Deploy-Preview header, such as token = \"<16 or more characters>\", or both. Set one, or remove the preview block."))
	}
	return p
}

// previewToken reports whether token can guard the preview: it travels in
// a header, so it is printable ASCII without spaces, and it must be long
// enough not to be guessed.
func (c *checker) previewToken(token string, rng hcl.Range) bool {
	if strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r > '~' }) {
		c.add(errorf(rng, "Invalid preview token",
			"The token is sent in the X-Deploy-Preview header, so it must be printable ASCII without spaces. Generate one with `openssl rand -hex 16`."))
		return false
	}
	if len(token) < minPreviewToken {
		c.add(errorf(rng, "Preview token too short",
			"The token is %d characters; use at least %d so that it cannot be guessed, such as one generated with `openssl rand -hex 16`.", len(token), minPreviewToken))
		return false
	}
	return true
}
