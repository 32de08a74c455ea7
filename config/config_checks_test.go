package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
	"time"
)

// exampleChecksConfig uses every setting of checks, preview, health,
// warm-up, watch, rollback, maintenance, migration and notification. Its
// maintenance page is testdata/maintenance.html, so it also loads from this
// package's directory, as the fuzzer does.
const exampleChecksConfig = `proxy {
  health_path = "/-/health"      # default "/.deploy/health"; "" turns it off
}
service "site" {
  hosts = ["www.example.org", "example.org"]
  watch = "2m"                   # default 1m; "0s" turns the watch off
  slot "blue"  { base_port = 9101 }
  slot "green" { base_port = 9201 }
  stack { command = ["bin/site"] }

  check "home" {
    http {
      method        = "get"              # default GET
      path          = "/?check=1"        # default "/"
      host          = "Example.ORG"      # default the service's first host
      status        = [200, "300-399"]   # default 200-399
      body_contains = "Welcome"
      body_regex    = "v[0-9]+"
      headers       = { "content-type" = "^text/html", X-Frame-Options = "DENY" }
      max_latency   = "2s"
    }
    timeout  = "3s"      # default 5s
    retries  = 0         # default 2
    interval = "500ms"   # default 1s
  }
  check "defaults" {
    http {}
  }
  check "port" {
    tcp {}
  }
  check "catalog" {
    command = ["bin/check", "-q", ""]
  }

  preview {
    hosts = ["Preview.example.org"]
    token = "a-long-secret-token"
  }
  health {
    interval  = "5s"     # default 2s
    timeout   = "2s"     # default 1s
    fall      = 3        # default 2
    rise      = 1        # default 2
    eject_5xx = 0        # default 5; 0 turns passive ejection off
    eject_for = "30s"    # default 10s
  }
  warm_up {
    urls              = ["/", "/news"]
    rounds            = 5      # default 3
    max_latency_ratio = 1.2    # default 1.5
    timeout           = "2m"   # default 60s
  }
  rollback_when {
    error_rate   = 0.05   # default 0.02
    min_requests = 100    # default 20
  }
  maintenance {
    page        = "testdata/maintenance.html"   # default: the built-in page
    retry_after = "10m"                         # default 5m
  }
  migrate {
    command = ["bin/migrate", "--all"]
    env     = { MIGRATE_MODE = "online" }
    timeout = "1h"       # default 30m
  }
  notify "chat" {
    command = ["bin/notify"]
  }
  notify "hook" {
    webhook = "http://127.0.0.1:9/x"
    events  = ["switch", "rollback"]   # default all
    timeout = "3s"                     # default 10s
  }
}

service "api" {
  default = true
  watch   = "0s"
  slot "blue" { base_port = 9301 }
  stack { command = ["bin/api"] }
  check "ping" {
    http { path = "/ping" }
  }
  warm_up {
    urls = ["/"]
  }
  migrate {
    command = ["bin/migrate"]
  }
}
`

// defaultHealthWant is the health checking every service gets without a
// health block, as documented on Health.
var defaultHealthWant = Health{
	Interval: 2 * time.Second,
	Timeout:  time.Second,
	Fall:     2,
	Rise:     2,
	Eject5xx: 5,
	EjectFor: 10 * time.Second,
}

// maintenancePage is testdata/maintenance.html.
func maintenancePage(t *testing.T) []byte {
	t.Helper()
	page, err := os.ReadFile(filepath.Join("testdata", "maintenance.html"))
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// writeFile writes data to name under dir, creating its directory.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// regexpSources returns the sources of an HTTP check's regexps and sets
// them to nil, which reflect.DeepEqual compares reliably.
func regexpSources(h *HTTPCheck) (body string, headers map[string]string) {
	if h.BodyRegex != nil {
		body, h.BodyRegex = h.BodyRegex.String(), nil
	}
	headers = map[string]string{}
	for name, re := range h.Headers {
		headers[name], h.Headers[name] = re.String(), nil
	}
	return body, headers
}

func TestLoad_ChecksExampleYieldsEveryFieldWithItsDefaults(t *testing.T) {
	dir := shortTempDir(t)
	page := writeFile(t, dir, "testdata/maintenance.html", maintenancePage(t))
	path := writeFile(t, dir, "deploy.hcl", []byte(exampleChecksConfig))
	cfg, diags, err := Load(path)
	if err != nil || diags != nil {
		t.Fatalf("Load: %v, %v", err, diags)
	}

	if got := cfg.Proxy.HealthPath; got != "/-/health" {
		t.Errorf("HealthPath = %q, want /-/health", got)
	}
	site, api := cfg.Services[0], cfg.Services[1]
	body, headers := regexpSources(site.Checks[0].HTTP)
	if body != "v[0-9]+" {
		t.Errorf("BodyRegex = %q, want v[0-9]+", body)
	}
	if want := map[string]string{"Content-Type": "^text/html", "X-Frame-Options": "DENY"}; !reflect.DeepEqual(headers, want) {
		t.Errorf("Headers = %q, want %q", headers, want)
	}

	wantSite := Service{
		Name:         "site",
		Hosts:        []string{"www.example.org", "example.org"},
		Instances:    1,
		DrainTimeout: 30 * time.Second,
		Slots:        []Slot{{Name: "blue", BasePort: 9101}, {Name: "green", BasePort: 9201}},
		Stack:        site.Stack, // covered by the stack tests
		Checks: []Check{
			{
				Name: "home",
				HTTP: &HTTPCheck{
					Method:       "GET",
					Path:         "/?check=1",
					Host:         "example.org",
					Status:       []StatusRange{{200, 200}, {300, 399}},
					BodyContains: "Welcome",
					Headers:      map[string]*regexp.Regexp{"Content-Type": nil, "X-Frame-Options": nil},
					MaxLatency:   2 * time.Second,
				},
				Timeout:  3 * time.Second,
				Retries:  0,
				Interval: 500 * time.Millisecond,
			},
			{
				Name:     "defaults",
				HTTP:     &HTTPCheck{Method: "GET", Path: "/", Host: "www.example.org", Status: []StatusRange{{200, 399}}},
				Timeout:  5 * time.Second,
				Retries:  2,
				Interval: time.Second,
			},
			{Name: "port", TCP: true, Timeout: 5 * time.Second, Retries: 2, Interval: time.Second},
			{Name: "catalog", Command: []string{"bin/check", "-q", ""}, Timeout: 5 * time.Second, Retries: 2, Interval: time.Second},
		},
		Preview: Preview{Hosts: []string{"preview.example.org"}, Token: "a-long-secret-token"},
		Health: Health{
			Interval: 5 * time.Second,
			Timeout:  2 * time.Second,
			Fall:     3,
			Rise:     1,
			Eject5xx: 0,
			EjectFor: 30 * time.Second,
		},
		WarmUp:       &WarmUp{URLs: []string{"/", "/news"}, Rounds: 5, MaxLatencyRatio: 1.2, Timeout: 2 * time.Minute},
		Watch:        2 * time.Minute,
		RollbackWhen: RollbackWhen{ErrorRate: 0.05, MinRequests: 100},
		Maintenance:  Maintenance{Page: maintenancePage(t), PageFile: page, RetryAfter: 10 * time.Minute},
		Migrate: &Migrate{
			Command: []string{"bin/migrate", "--all"},
			Env:     map[string]string{"MIGRATE_MODE": "online"},
			Timeout: time.Hour,
		},
		Notify: []Notify{
			{Name: "chat", Command: []string{"bin/notify"}, Events: []string{"switch", "rollback", "release", "release_failed"}, Timeout: 10 * time.Second},
			{Name: "hook", Webhook: "http://127.0.0.1:9/x", Events: []string{"switch", "rollback"}, Timeout: 3 * time.Second},
		},
		Driver: DriverCommand,
	}
	wantAPI := Service{
		Name:         "api",
		Default:      true,
		Instances:    1,
		DrainTimeout: 30 * time.Second,
		Slots:        []Slot{{Name: "blue", BasePort: 9301}},
		Stack:        api.Stack,
		Checks: []Check{{
			Name:     "ping",
			HTTP:     &HTTPCheck{Method: "GET", Path: "/ping", Host: "localhost", Status: []StatusRange{{200, 399}}},
			Timeout:  5 * time.Second,
			Retries:  2,
			Interval: time.Second,
		}},
		Health:       defaultHealthWant,
		WarmUp:       &WarmUp{URLs: []string{"/"}, Rounds: 3, MaxLatencyRatio: 1.5, Timeout: time.Minute},
		Watch:        0,
		RollbackWhen: RollbackWhen{ErrorRate: 0.02, MinRequests: 20},
		Maintenance:  Maintenance{RetryAfter: 5 * time.Minute},
		Migrate:      &Migrate{Command: []string{"bin/migrate"}, Env: map[string]string{}, Timeout: 30 * time.Minute},
		Driver:       DriverCommand,
	}
	for _, tc := range []struct{ got, want *Service }{{site, &wantSite}, {api, &wantAPI}} {
		if !reflect.DeepEqual(*tc.got, *tc.want) {
			t.Errorf("service %q:\n got %+v\nwant %+v", tc.want.Name, *tc.got, *tc.want)
			for i := range min(len(tc.got.Checks), len(tc.want.Checks)) {
				if g, w := tc.got.Checks[i].HTTP, tc.want.Checks[i].HTTP; g != nil && w != nil {
					t.Logf("check %d http:\n got %+v\nwant %+v", i, *g, *w)
				}
			}
		}
	}
}

func TestLoad_HealthPathCanBeTurnedOff(t *testing.T) {
	cfg, _ := mustLoad(t, `proxy { health_path = "" }`+okService)
	if cfg.Proxy.HealthPath != "" {
		t.Errorf("HealthPath = %q, want it off", cfg.Proxy.HealthPath)
	}
}

func TestLoad_PreviewByTokenAloneAndStatusesAsStrings(t *testing.T) {
	cfg, _ := mustLoad(t, serviceWith(`  preview {
    token = "0123456789abcdef"
  }
  check "up" {
    http {
      method = "HEAD"
      status = ["204", "200 - 299", 2e2]
    }
  }
`))
	s := cfg.Services[0]
	if want := (Preview{Token: "0123456789abcdef"}); !reflect.DeepEqual(s.Preview, want) {
		t.Errorf("Preview = %+v, want %+v", s.Preview, want)
	}
	if got, want := s.Checks[0].HTTP.Status, []StatusRange{{204, 204}, {200, 299}, {200, 200}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Status = %v, want %v", got, want)
	}
	if got := s.Checks[0].HTTP.Method; got != "HEAD" {
		t.Errorf("Method = %q, want HEAD", got)
	}
}

func TestAccepts_MatchesInclusiveRanges(t *testing.T) {
	ranges := []StatusRange{{200, 200}, {300, 399}}
	for status, want := range map[int]bool{199: false, 200: true, 201: false, 299: false, 300: true, 399: true, 400: false} {
		if got := Accepts(ranges, status); got != want {
			t.Errorf("Accepts(%v, %d) = %v, want %v", ranges, status, got, want)
		}
	}
	if Accepts(nil, 200) {
		t.Error("Accepts(nil, 200) = true, want false")
	}
}
