package config

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary bytes to Parse. Whatever the input, Parse must
// not panic or hang, must fail exactly when it reports an error, and must
// never accept a configuration that breaks a rule the rest of deploy relies
// on.
// Seeds live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(exampleConfig))
	f.Add([]byte(exampleChecksConfig))
	f.Add([]byte(exampleZopeConfig))
	f.Add([]byte(examplePluginsConfig))
	f.Fuzz(func(t *testing.T, src []byte) {
		// The fuzzer does not report inputs that hang, and HCL has some
		// (huge numbers once took minutes). Crashing the worker makes it
		// save the input as a failure.
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic(fmt.Sprintf("Parse took over 10s on %q", src))
			}
		}()
		cfg, diags, err := Parse(src, "fuzz.hcl")
		if (err != nil) != diags.HasErrors() {
			t.Fatalf("err = %v but HasErrors() = %v", err, diags.HasErrors())
		}
		if err != nil {
			if cfg != nil {
				t.Fatal("config returned along with errors")
			}
			_ = err.Error()
			return
		}
		if cfg == nil {
			t.Fatal("no config and no error")
		}
		if diags != nil && len(diags.Diags) == 0 {
			t.Error("empty diagnostics returned instead of nil")
		}
		checkInvariants(t, cfg)
	})
}

// checkInvariants fails t for every rule of a valid configuration that cfg
// breaks.
func checkInvariants(t *testing.T, cfg *Config) {
	t.Helper()
	for _, p := range []string{cfg.File, cfg.Controller.StateDir, cfg.Controller.Socket} {
		if !filepath.IsAbs(p) {
			t.Errorf("path %q is not absolute", p)
		}
	}
	if len(cfg.Controller.Socket) > maxSocketPath {
		t.Errorf("socket path is %d bytes", len(cfg.Controller.Socket))
	}

	type claim struct {
		lo, hi int
		who    string
	}
	var claims []claim
	if len(cfg.Proxy.Listen) == 0 {
		t.Error("no listen address")
	}
	for _, l := range cfg.Proxy.Listen {
		_, port, err := net.SplitHostPort(l)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 1 || n > 65535 {
			t.Errorf("bad listen address %q", l)
		}
		claims = append(claims, claim{n, n, "listen " + l})
	}
	for _, p := range cfg.Proxy.TrustedProxies {
		if !p.IsValid() {
			t.Errorf("invalid trusted proxy %v", p)
		}
	}
	checkHTTPSInvariants(t, cfg)

	if len(cfg.Services) == 0 {
		t.Error("no services")
	}
	names := map[string]bool{}
	hosts := map[string]bool{}
	defaults := 0
	for _, s := range cfg.Services {
		if !nameRe.MatchString(s.Name) || names[s.Name] {
			t.Errorf("bad or duplicate service name %q", s.Name)
		}
		names[s.Name] = true
		if s.Default {
			defaults++
		}
		if len(s.Hosts) == 0 && !s.Default {
			t.Errorf("service %q has no hosts and is not the default", s.Name)
		}
		for _, h := range s.Hosts {
			if h != strings.ToLower(h) || !validHostName(h) || hosts[h] {
				t.Errorf("bad or duplicate host %q", h)
			}
			hosts[h] = true
		}
		if s.Instances < 1 || s.Instances > maxInstances {
			t.Errorf("service %q has %d instances", s.Name, s.Instances)
		}
		if s.DrainTimeout <= 0 || s.Stack.Ready.Timeout <= 0 {
			t.Errorf("service %q has a non-positive timeout", s.Name)
		}
		if len(s.Slots) == 0 {
			t.Errorf("service %q has no slots", s.Name)
		}
		slotNames := map[string]bool{}
		for _, sl := range s.Slots {
			if !nameRe.MatchString(sl.Name) || slotNames[sl.Name] {
				t.Errorf("bad or duplicate slot name %q", sl.Name)
			}
			slotNames[sl.Name] = true
			lo, hi := sl.Port(1), sl.Port(s.Instances)
			if lo < 1 || hi > 65535 {
				t.Errorf("slot %q ports %d-%d out of range", sl.Name, lo, hi)
			}
			for _, c := range claims {
				if lo <= c.hi && c.lo <= hi {
					t.Errorf("slot %s/%s ports %d-%d overlap %s", s.Name, sl.Name, lo, hi, c.who)
				}
			}
			claims = append(claims, claim{lo, hi, s.Name + "/" + sl.Name})
		}
		st := s.Stack
		if !filepath.IsAbs(st.Dir) {
			t.Errorf("stack dir %q is not absolute", st.Dir)
		}
		// The zope driver has a default command, and plugin drivers give
		// their own.
		if (len(st.Command) == 0 && s.Driver == DriverCommand) || slices.Contains(st.Command, "") {
			t.Errorf("bad command %q", st.Command)
		}
		for k := range st.Env {
			if !envKeyRe.MatchString(k) || slices.Contains(reservedEnv, k) {
				t.Errorf("bad env name %q", k)
			}
		}
		if !strings.HasPrefix(st.Ready.Path, "/") {
			t.Errorf("ready path %q", st.Ready.Path)
		}
	}
	if defaults > 1 {
		t.Errorf("%d default services", defaults)
	}
	checkReleaseInvariants(t, cfg)
	checkChecksInvariants(t, cfg)
	checkZopeInvariants(t, cfg)
	checkPluginInvariants(t, cfg)
}

// checkHTTPSInvariants: certificates come from exactly one source when
// HTTPS is on, none is configured when it is off, and every file is named
// by an absolute path.
func checkHTTPSInvariants(t *testing.T, cfg *Config) {
	t.Helper()
	p := cfg.Proxy
	https := len(p.HTTPSListen) > 0
	if https && (p.ACME == nil) == !p.LocalCA {
		t.Errorf("https_listen with acme %v and local_ca %v: want exactly one", p.ACME != nil, p.LocalCA)
	}
	if !https && (p.ACME != nil || p.LocalCA || p.RedirectHTTP || p.HSTS != "") {
		t.Errorf("TLS settings without https_listen: %+v", p)
	}
	if a := p.ACME; a != nil {
		if len(a.Challenges) == 0 || !strings.HasPrefix(a.CA, "https://") {
			t.Errorf("acme %+v", a)
		}
		if a.TrustedRoots != "" && !filepath.IsAbs(a.TrustedRoots) {
			t.Errorf("trusted_roots %q is not absolute", a.TrustedRoots)
		}
	}
	for _, s := range cfg.Services {
		if s.TLS != nil && (!filepath.IsAbs(s.TLS.Certificate) || !filepath.IsAbs(s.TLS.Key)) {
			t.Errorf("service %s: tls paths %+v are not absolute", s.Name, s.TLS)
		}
	}
}
