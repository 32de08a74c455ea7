package config

import (
	"crypto/sha256"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// checkPluginInvariants fails t for every rule of plugins, plugin drivers,
// plugin checks and plugin notifiers that a valid cfg breaks.
func checkPluginInvariants(t *testing.T, cfg *Config) {
	t.Helper()
	dir := cfg.Controller.PluginDir
	if dir != "" && !filepath.IsAbs(dir) {
		t.Errorf("plugin dir %q is not absolute", dir)
	}
	names := map[string]bool{}
	for _, p := range cfg.Plugins {
		if !nameRe.MatchString(p.Name) || names[p.Name] {
			t.Errorf("bad or duplicate plugin name %q", p.Name)
		}
		names[p.Name] = true
		if !slices.Contains(PluginKinds, p.Kind) || (p.Kind == PluginDriver && slices.Contains(drivers, p.Name)) {
			t.Errorf("plugin %q: kind %q", p.Name, p.Kind)
		}
		if (p.Path == "" && dir == "") || (p.Path != "" && !filepath.IsAbs(p.Path)) {
			t.Errorf("plugin %q: path %q with plugin dir %q", p.Name, p.Path, dir)
		}
		if p.SHA256 != nil && len(p.SHA256) != sha256.Size {
			t.Errorf("plugin %q: %d-byte digest", p.Name, len(p.SHA256))
		}
	}
	// ref checks that name is a plugin of kind.
	ref := func(what, name, kind string) {
		if p, ok := cfg.Plugin(name); !ok || p.Kind != kind {
			t.Errorf("%s names plugin %q, which is not of kind %q", what, name, kind)
		}
	}
	for _, s := range cfg.Services {
		if s.DriverIsPlugin() {
			ref("service "+s.Name, s.Driver, PluginDriver)
		}
		if ds := s.DriverConfig; ds.Expr != nil || (ds.Body != nil && !s.DriverIsPlugin()) {
			t.Errorf("service %q: driver %q with driver config %+v", s.Name, s.Driver, ds)
		}
		for _, chk := range s.Checks {
			if chk.Plugin != "" {
				ref("check "+s.Name+"/"+chk.Name, chk.Plugin, PluginCheck)
			}
			checkPluginConfig(t, "check "+s.Name+"/"+chk.Name, chk.Plugin, chk.PluginConfig)
		}
		for _, n := range s.Notify {
			if n.Plugin != "" {
				ref("notify "+s.Name+"/"+n.Name, n.Plugin, PluginNotifier)
			}
			checkPluginConfig(t, "notify "+s.Name+"/"+n.Name, n.Plugin, n.PluginConfig)
		}
	}
}

// checkPluginConfig checks the config of a check or notifier that names
// plugin ("" for none).
func checkPluginConfig(t *testing.T, what, plugin string, ps PluginSettings) {
	t.Helper()
	if ps.Body != nil {
		t.Errorf("%s: config has a body", what)
	}
	if ps.Expr == nil {
		return
	}
	if _, ok := ps.Expr.(*hclsyntax.ObjectConsExpr); !ok || plugin == "" {
		t.Errorf("%s: config %T with plugin %q", what, ps.Expr, plugin)
	}
	if _, diags := ps.Expr.Value(nil); diags.HasErrors() {
		t.Errorf("%s: config does not evaluate: %v", what, diags)
	}
}
