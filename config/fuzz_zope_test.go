package config

import (
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkZopeInvariants fails t for every rule of the zope driver, virtual
// hosting, managed ZEO servers and zeo checks that a valid cfg breaks.
func checkZopeInvariants(t *testing.T, cfg *Config) {
	t.Helper()
	for _, z := range cfg.ZEO {
		if z.Managed != nil {
			checkManagedZEO(t, z)
		}
	}
	for _, s := range cfg.Services {
		switch s.Driver {
		case DriverCommand:
			if s.Zope != nil || !validCommand(s.Stack.Command) {
				t.Errorf("service %q: command driver with zope %v, command %q", s.Name, s.Zope, s.Stack.Command)
			}
		case DriverZope:
			zeo, ok := cfg.ZEOServer(s.ZEO)
			if !ok || s.Zope == nil {
				t.Errorf("service %q: zope driver with zeo %q, zope %v", s.Name, s.ZEO, s.Zope)
				continue
			}
			checkZope(t, s, zeo)
		default:
			// A plugin driver: checked by checkPluginInvariants.
			if s.Zope != nil {
				t.Errorf("service %q: plugin driver %q with zope %v", s.Name, s.Driver, s.Zope)
			}
		}
		if vh := s.VirtualHost; vh != nil {
			if !validZopePath(vh.Root) || (vh.PathPrefix != "" && (vh.PathPrefix == "/" || !validZopePath(vh.PathPrefix))) {
				t.Errorf("service %q: virtual host %+v", s.Name, *vh)
			}
		}
		for _, chk := range s.Checks {
			if chk.ZEO && s.ZEO == "" {
				t.Errorf("service %q: zeo check %q without a zeo server", s.Name, chk.Name)
			}
		}
	}
}

func checkZope(t *testing.T, s *Service, zeo *ZEO) {
	t.Helper()
	z := s.Zope
	if z.Command != nil && (!validCommand(z.Command) || s.Stack.Command != nil) {
		t.Errorf("service %q: zope command %q, stack command %q", s.Name, z.Command, s.Stack.Command)
	}
	roots := 0
	names, paths := map[string]bool{}, map[string]bool{}
	for _, m := range z.Mounts {
		if !slices.Contains(zeo.Storages, m.Name) || names[m.Name] || !validZopePath(m.Path) || paths[m.Path] {
			t.Errorf("service %q: bad or duplicate mount %+v of storages %q", s.Name, m, zeo.Storages)
		}
		names[m.Name], paths[m.Path] = true, true
		if m.Path == "/" {
			roots++
		}
	}
	if roots != 1 {
		t.Errorf("service %q: %d root mounts", s.Name, roots)
	}
	if z.CacheSize < minZopeCacheSize || z.ObjectCache < 1 || z.ObjectCache > maxObjectCache ||
		z.Threads < 1 || z.Threads > maxZopeThreads {
		t.Errorf("service %q: zope %+v", s.Name, *z)
	}
	switch {
	case (z.BlobDir == "") == (z.SharedBlobDir == ""):
		t.Errorf("service %q: blob dir %q, shared %q", s.Name, z.BlobDir, z.SharedBlobDir)
	case z.BlobDir != "" && (z.BlobDir != filepath.Clean(z.BlobDir) || z.BlobDir == "." || !filepath.IsLocal(z.BlobDir)):
		t.Errorf("service %q: blob dir %q", s.Name, z.BlobDir)
	case z.SharedBlobDir != "" && (!filepath.IsAbs(z.SharedBlobDir) || z.SharedBlobDir != filepath.Clean(z.SharedBlobDir)):
		t.Errorf("service %q: shared blob dir %q", s.Name, z.SharedBlobDir)
	}
}

func checkManagedZEO(t *testing.T, z *ZEO) {
	t.Helper()
	m := z.Managed
	if _, port, err := net.SplitHostPort(z.Address); err != nil || port == "" {
		t.Errorf("managed zeo %q: address %q", z.Name, z.Address)
	}
	if !validCommand(m.Command) || !filepath.IsAbs(m.Dir) || (m.ConfigTemplate != "" && !filepath.IsAbs(m.ConfigTemplate)) {
		t.Errorf("managed zeo %q: %+v", z.Name, *m)
	}
	if m.InvalidationQueueSize < 0 || m.InvalidationQueueSize > maxInvalidationQueue ||
		m.TransactionTimeout < 0 || m.TransactionTimeout%time.Second != 0 {
		t.Errorf("managed zeo %q: invalidation queue %d, transaction timeout %s", z.Name, m.InvalidationQueueSize, m.TransactionTimeout)
	}
	if p := m.Pack; p != nil && (!validCommand(p.Command) || p.Every < minPackEvery || p.Days < 0 || p.Days > maxPackDays) {
		t.Errorf("managed zeo %q: pack %+v", z.Name, *p)
	}
}

// validZopePath reports whether p is "/" or ids of printable ASCII without
// "?" or "#" after single slashes, none of them "." or "..".
func validZopePath(p string) bool {
	if p == "/" {
		return true
	}
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for id := range strings.SplitSeq(p[1:], "/") {
		if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "?#") {
			return false
		}
		for i := range len(id) {
			if id[i] <= ' ' || id[i] > '~' {
				return false
			}
		}
	}
	return true
}
