package main

import (
	"fmt"
	"strings"
)

// Defaults of the optional settings.
const (
	defaultPath   = "/manage_main"
	defaultExpect = "Zope"
)

// settings are a check's config, decoded.
type settings struct {
	user, password string
	path           string // always starts with "/"
	expect         string // text the page must contain
	host           string // Host header; "" sends the target's address
}

// parseSettings decodes the config the host sends. The host has checked it
// against the schema already; the types are checked again here because a
// plugin must not panic on a host that got it wrong. No error names the
// password's value.
func parseSettings(cfg map[string]any) (settings, error) {
	s := settings{path: defaultPath, expect: defaultExpect}
	for _, f := range []struct {
		name     string
		dst      *string
		required bool
	}{
		{"user", &s.user, true},
		{"password", &s.password, true},
		{"path", &s.path, false},
		{"expect", &s.expect, false},
		{"host", &s.host, false},
	} {
		raw, ok := cfg[f.name]
		if !ok {
			if f.required {
				return s, fmt.Errorf("setting %q is missing: the check logs in with a user and password of the Zope root acl_users", f.name)
			}
			continue
		}
		v, ok := raw.(string)
		if !ok {
			return s, fmt.Errorf("setting %q must be a string, not %T", f.name, raw)
		}
		*f.dst = v
	}
	if s.user == "" {
		return s, fmt.Errorf("setting %q is empty: give the Zope user to log in as", "user")
	}
	if strings.ContainsRune(s.user, ':') {
		// Basic auth cannot carry it: the first colon ends the user name.
		return s, fmt.Errorf("setting %q cannot contain a colon", "user")
	}
	if s.expect == "" {
		return s, fmt.Errorf("setting %q is empty: give text the page always shows, such as %q", "expect", defaultExpect)
	}
	if !strings.HasPrefix(s.path, "/") {
		s.path = "/" + s.path
	}
	return s, nil
}
