package config

import (
	"net/textproto"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkChecksInvariants fails t for every rule of the checks, preview,
// health, rollout, maintenance, migration and notification settings that a
// valid cfg breaks.
func checkChecksInvariants(t *testing.T, cfg *Config) {
	t.Helper()
	if p := cfg.Proxy.HealthPath; p != "" && !strings.HasPrefix(p, "/") {
		t.Errorf("health path %q", p)
	}
	hosts := map[string]bool{}
	for _, s := range cfg.Services {
		for _, h := range s.Hosts {
			hosts[h] = true
		}
	}
	for _, s := range cfg.Services {
		names := map[string]bool{}
		for _, chk := range s.Checks {
			if !nameRe.MatchString(chk.Name) || names[chk.Name] {
				t.Errorf("service %q: bad or duplicate check name %q", s.Name, chk.Name)
			}
			names[chk.Name] = true
			checkCheck(t, s.Name, chk)
		}
		for _, h := range s.Preview.Hosts {
			if h != strings.ToLower(h) || !validHostName(h) || hosts[h] {
				t.Errorf("service %q: bad preview host %q, or a host of a service or another preview", s.Name, h)
			}
			hosts[h] = true
		}
		if tok := s.Preview.Token; tok != "" && len(tok) < minPreviewToken {
			t.Errorf("service %q: short preview token %q", s.Name, tok)
		}
		if h := s.Health; h.Interval <= 0 || h.Timeout <= 0 || h.Timeout >= h.Interval || h.EjectFor <= 0 ||
			h.Fall < 1 || h.Fall > maxHealthCount || h.Rise < 1 || h.Rise > maxHealthCount ||
			h.Eject5xx < 0 || h.Eject5xx > maxEject5xx {
			t.Errorf("service %q: health %+v", s.Name, h)
		}
		if w := s.WarmUp; w != nil && (len(w.URLs) == 0 || w.Rounds < 1 || w.Rounds > maxWarmUpRounds ||
			w.MaxLatencyRatio < 1 || w.Timeout <= 0) {
			t.Errorf("service %q: warm-up %+v", s.Name, *w)
		}
		if w := s.WarmUp; w != nil {
			for _, u := range w.URLs {
				if !strings.HasPrefix(u, "/") {
					t.Errorf("service %q: warm-up URL %q", s.Name, u)
				}
			}
		}
		if s.Watch < 0 {
			t.Errorf("service %q: watch %s", s.Name, s.Watch)
		}
		if r := s.RollbackWhen; r.ErrorRate <= 0 || r.ErrorRate > 1 || r.MinRequests < 1 {
			t.Errorf("service %q: rollback_when %+v", s.Name, r)
		}
		m := s.Maintenance
		if m.RetryAfter < time.Second || (m.Page == nil) != (m.PageFile == "") ||
			(m.PageFile != "" && !filepath.IsAbs(m.PageFile)) || len(m.Page) > maxMaintenancePage {
			t.Errorf("service %q: maintenance page %q, retry after %s", s.Name, m.PageFile, m.RetryAfter)
		}
		if mg := s.Migrate; mg != nil {
			if !validCommand(mg.Command) || mg.Timeout <= 0 {
				t.Errorf("service %q: migrate %+v", s.Name, *mg)
			}
			for k := range mg.Env {
				if !envKeyRe.MatchString(k) || slices.Contains(reservedEnv, k) {
					t.Errorf("service %q: bad migrate env name %q", s.Name, k)
				}
			}
		}
		checkNotifiers(t, s)
	}
}

func checkCheck(t *testing.T, service string, chk Check) {
	t.Helper()
	kinds := 0
	if chk.HTTP != nil {
		kinds++
	}
	if chk.TCP {
		kinds++
	}
	if chk.ZEO {
		kinds++
	}
	if chk.Command != nil {
		kinds++
		if !validCommand(chk.Command) {
			t.Errorf("check %s/%s: bad command %q", service, chk.Name, chk.Command)
		}
	}
	if chk.Plugin != "" {
		kinds++
	}
	if kinds != 1 {
		t.Errorf("check %s/%s has %d kinds", service, chk.Name, kinds)
	}
	if chk.Timeout <= 0 || chk.Interval <= 0 || chk.Retries < 0 || chk.Retries > maxCheckRetries {
		t.Errorf("check %s/%s: timeout %s, interval %s, retries %d", service, chk.Name, chk.Timeout, chk.Interval, chk.Retries)
	}
	h := chk.HTTP
	if h == nil {
		return
	}
	if !isToken(h.Method) || h.Method != strings.ToUpper(h.Method) {
		t.Errorf("check %s/%s: method %q", service, chk.Name, h.Method)
	}
	if _, err := url.ParseRequestURI(h.Path); err != nil || !strings.HasPrefix(h.Path, "/") {
		t.Errorf("check %s/%s: path %q", service, chk.Name, h.Path)
	}
	if h.Host != strings.ToLower(h.Host) || !validHostName(h.Host) {
		t.Errorf("check %s/%s: host %q", service, chk.Name, h.Host)
	}
	if len(h.Status) == 0 {
		t.Errorf("check %s/%s accepts no status", service, chk.Name)
	}
	for _, r := range h.Status {
		if r.Lo < 100 || r.Lo > r.Hi || r.Hi > 599 {
			t.Errorf("check %s/%s: status range %v", service, chk.Name, r)
		}
	}
	for name, re := range h.Headers {
		if name != textproto.CanonicalMIMEHeaderKey(name) || !isToken(name) || re == nil {
			t.Errorf("check %s/%s: header %q", service, chk.Name, name)
		}
	}
	if h.MaxLatency < 0 {
		t.Errorf("check %s/%s: max latency %s", service, chk.Name, h.MaxLatency)
	}
}

func checkNotifiers(t *testing.T, s *Service) {
	t.Helper()
	names := map[string]bool{}
	for _, n := range s.Notify {
		if !nameRe.MatchString(n.Name) || names[n.Name] {
			t.Errorf("service %q: bad or duplicate notify name %q", s.Name, n.Name)
		}
		names[n.Name] = true
		targets := 0
		for _, set := range []bool{n.Command != nil, n.Webhook != "", n.Plugin != ""} {
			if set {
				targets++
			}
		}
		if targets != 1 || (n.Command != nil && !validCommand(n.Command)) {
			t.Errorf("notify %s/%s: command %q, webhook %q, plugin %q", s.Name, n.Name, n.Command, n.Webhook, n.Plugin)
		}
		if n.Webhook != "" {
			u, err := url.Parse(n.Webhook)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
				t.Errorf("notify %s/%s: webhook %q", s.Name, n.Name, n.Webhook)
			}
		}
		seen := map[string]bool{}
		for _, e := range n.Events {
			if !slices.Contains(NotifyEvents, e) || seen[e] {
				t.Errorf("notify %s/%s: unknown or repeated event %q", s.Name, n.Name, e)
			}
			seen[e] = true
		}
		if len(n.Events) == 0 || n.Timeout <= 0 {
			t.Errorf("notify %s/%s: events %q, timeout %s", s.Name, n.Name, n.Events, n.Timeout)
		}
	}
}

// validCommand reports whether cmd names a program to run.
func validCommand(cmd []string) bool {
	return len(cmd) > 0 && cmd[0] != ""
}
