package config

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
)

// checkReleaseInvariants fails t for every rule of the release, ZEO and
// supervision settings that a valid cfg breaks.
func checkReleaseInvariants(t *testing.T, cfg *Config) {
	t.Helper()
	ctl := cfg.Controller
	if ctl.KeepReleases < 1 || ctl.KeepReleases > maxKeepReleases {
		t.Errorf("keep_releases %d", ctl.KeepReleases)
	}
	if !filepath.IsAbs(ctl.ReleasesDir) {
		t.Errorf("releases dir %q is not absolute", ctl.ReleasesDir)
	}
	if rel, err := filepath.Rel(ctl.ReleasesDir, ctl.StateDir); err == nil && filepath.IsLocal(rel) {
		t.Errorf("releases dir %q holds state dir %q", ctl.ReleasesDir, ctl.StateDir)
	}

	zeos := map[string]bool{}
	for _, z := range cfg.ZEO {
		if !nameRe.MatchString(z.Name) || zeos[z.Name] {
			t.Errorf("bad or duplicate zeo name %q", z.Name)
		}
		zeos[z.Name] = true
		if strings.HasPrefix(z.Address, "/") {
			if len(z.Address) > maxSocketPath {
				t.Errorf("zeo socket path is %d bytes", len(z.Address))
			}
		} else if host, port, err := net.SplitHostPort(z.Address); err != nil || host == "" {
			t.Errorf("bad zeo address %q", z.Address)
		} else if _, ok := parsePort(port); !ok {
			t.Errorf("bad zeo port in %q", z.Address)
		}
		if len(z.Storages) == 0 {
			t.Errorf("zeo %q has no storages", z.Name)
		}
		storages := map[string]bool{}
		for _, s := range z.Storages {
			if s == "" || storages[s] {
				t.Errorf("zeo %q: empty or duplicate storage %q", z.Name, s)
			}
			storages[s] = true
		}
	}

	for _, s := range cfg.Services {
		if _, ok := cfg.ZEOServer(s.ZEO); s.ZEO != "" && !ok {
			t.Errorf("service %q names unknown zeo %q", s.Name, s.ZEO)
		}
		st := s.Stack
		dests := map[string]bool{}
		for _, tp := range st.Templates {
			if tp.Source != filepath.Clean(tp.Source) || tp.Source == "." || !filepath.IsLocal(tp.Source) {
				t.Errorf("bad template source %q", tp.Source)
			}
			d := filepath.Clean(tp.Destination)
			if d == "." || !filepath.IsLocal(d) || d == tp.Source || dests[d] {
				t.Errorf("bad or duplicate template destination %q", tp.Destination)
			}
			dests[d] = true
			if _, err := template.New("").Parse(tp.Destination); err != nil {
				t.Errorf("destination %q does not parse: %v", tp.Destination, err)
			}
		}
		if st.Grace <= 0 || st.CrashLoop.Within <= 0 {
			t.Errorf("service %q has a non-positive grace or crash window", s.Name)
		}
		if n := st.CrashLoop.MaxExits; n < 1 || n > maxCrashExits {
			t.Errorf("service %q: max_exits %d", s.Name, n)
		}
		if st.Log.MaxSize <= 0 || st.Log.Keep < 1 || st.Log.Keep > maxLogKeep {
			t.Errorf("service %q: log rotation %+v", s.Name, st.Log)
		}
	}
}
