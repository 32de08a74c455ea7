package main

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
)

// errNoTarget is returned when a notifier has neither a path nor a url.
var errNoTarget = errors.New(`give the notifier a "path" to append events to, a "url" to post them to, or both`)

// settings are a notifier's config, decoded.
type settings struct {
	path string // absolute; "" for none
	url  string // http or https; "" for none
}

// parseSettings decodes the config the host sends. The host has checked the
// types against the schema already; they are checked again here because a
// plugin must not panic on a host that got it wrong.
func parseSettings(cfg map[string]any) (settings, error) {
	var s settings
	for _, f := range []struct {
		name string
		dst  *string
	}{{"path", &s.path}, {"url", &s.url}} {
		raw, ok := cfg[f.name]
		if !ok {
			continue
		}
		v, ok := raw.(string)
		if !ok {
			return s, fmt.Errorf("setting %q must be a string, not %T", f.name, raw)
		}
		*f.dst = v
	}
	if s.path == "" && s.url == "" {
		return s, errNoTarget
	}
	// The plugin runs in whatever directory deploy started it in; a
	// relative path would land somewhere nobody looks.
	if s.path != "" && !filepath.IsAbs(s.path) {
		return s, fmt.Errorf("setting %q is %q, a relative path: write an absolute one, such as \"/var/log/deploy-events.jsonl\"", "path", s.path)
	}
	if s.url != "" {
		u, err := url.Parse(s.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// The value is left out: webhook URLs often carry a secret.
			return s, fmt.Errorf("setting %q is not an absolute http or https URL: write one such as \"https://chat.example.org/hooks/deploy\"", "url")
		}
	}
	return s, nil
}
