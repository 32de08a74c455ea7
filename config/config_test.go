package config

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// exampleConfig is the configuration shown in the design of this package.
const exampleConfig = `controller {
  state_dir     = ".deploy"          # relative paths resolve against the config file's directory
  socket        = ".deploy/control.sock"   # optional; default <state_dir>/control.sock
  releases_dir  = "releases"         # optional; default <state_dir>/releases
  keep_releases = 4                  # default 5; releases kept on disk per service
}
proxy {
  listen          = ["127.0.0.1:8080"]   # default ["127.0.0.1:8080"]
  trusted_proxies = ["127.0.0.1/32", "10.0.0.0/8"]  # optional; IPs or CIDRs whose X-Forwarded-* headers are trusted
}
zeo "main" {
  address  = "127.0.0.1:8100"      # "host:port" or an absolute Unix socket path
  storages = ["main", "session"]   # default ["1"]
}
zeo "catalog" {
  address = "/var/run/zeo/catalog.sock"
}
service "demo" {
  hosts         = ["demo.localhost", "localhost"]
  default       = true           # optional: serves unmatched hosts; at most one service may set it
  instances     = 2              # default 1
  drain_timeout = "30s"          # default 30s
  zeo           = "main"         # optional: the zeo block every instance connects to
  slot "blue"  { base_port = 9101 }   # instance n (1-based) listens on base_port + n - 1
  slot "green" { base_port = 9201 }
  stack {
    dir     = "."                # default: the config file's directory; unused with releases
    command = ["./bin/demo-app"]
    env     = { GREETING = "hello" }
    grace   = "15s"              # default 10s: SIGTERM, then SIGKILL after this long
    ready {
      path    = "/healthz"       # default "/"
      timeout = "30s"            # default 60s
    }
    template {
      source      = "etc/zope.conf.tmpl"               # inside the release
      destination = "etc/zope-{{.Instance}}.conf"      # inside the stack; a Go template
    }
    template {
      source      = "./etc/site.zcml"
      destination = "etc/site.zcml.out"
    }
    crash_loop {
      max_exits = 3              # default 5
      within    = "2m"           # default 60s
    }
    log {
      max_size = "512KB"         # default 10MB; KB, MB, GB are binary (KiB, MiB, GiB)
      keep     = 7               # default 3
    }
  }
}
`

// shortTempDir is a fresh directory with a short path. t.TempDir names its
// directory after the test, which can push the default control socket path
// past the Unix socket limit that the configuration enforces.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "deploy")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// writeConfig writes src to a fresh directory and returns the file's path.
func writeConfig(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(shortTempDir(t), "deploy.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustLoad loads src and fails the test on any diagnostic.
func mustLoad(t *testing.T, src string) (*Config, string) {
	t.Helper()
	path := writeConfig(t, src)
	cfg, diags, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diags != nil {
		var b strings.Builder
		_ = diags.Write(&b, false)
		t.Fatalf("unexpected diagnostics:\n%s", b.String())
	}
	return cfg, filepath.Dir(path)
}

func TestLoad_ExampleConfigYieldsEveryFieldWithAbsolutePaths(t *testing.T) {
	cfg, dir := mustLoad(t, exampleConfig)

	want := &Config{
		File: filepath.Join(dir, "deploy.hcl"),
		Controller: Controller{
			StateDir:     filepath.Join(dir, ".deploy"),
			Socket:       filepath.Join(dir, ".deploy", "control.sock"),
			ReleasesDir:  filepath.Join(dir, "releases"),
			KeepReleases: 4,
		},
		Proxy: Proxy{
			Listen: []string{"127.0.0.1:8080"},
			TrustedProxies: []netip.Prefix{
				netip.MustParsePrefix("127.0.0.1/32"),
				netip.MustParsePrefix("10.0.0.0/8"),
			},
			HealthPath: "/.deploy/health",
		},
		ZEO: []*ZEO{
			{Name: "main", Address: "127.0.0.1:8100", Storages: []string{"main", "session"}},
			{Name: "catalog", Address: "/var/run/zeo/catalog.sock", Storages: []string{"1"}},
		},
		Services: []*Service{{
			Name:         "demo",
			Hosts:        []string{"demo.localhost", "localhost"},
			Default:      true,
			Instances:    2,
			DrainTimeout: 30 * time.Second,
			Slots:        []Slot{{Name: "blue", BasePort: 9101}, {Name: "green", BasePort: 9201}},
			Stack: Stack{
				Dir:     dir,
				Command: []string{"./bin/demo-app"},
				Env:     map[string]string{"GREETING": "hello"},
				Ready:   Ready{Path: "/healthz", Timeout: 30 * time.Second},
				Templates: []Template{
					{Source: "etc/zope.conf.tmpl", Destination: "etc/zope-{{.Instance}}.conf"},
					{Source: "etc/site.zcml", Destination: "etc/site.zcml.out"},
				},
				Grace:     15 * time.Second,
				CrashLoop: CrashLoop{MaxExits: 3, Within: 2 * time.Minute},
				Log:       LogRotation{MaxSize: 512 << 10, Keep: 7},
			},
			ZEO:          "main",
			Health:       defaultHealthWant,
			Watch:        time.Minute,
			RollbackWhen: RollbackWhen{ErrorRate: 0.02, MinRequests: 20},
			Maintenance:  Maintenance{RetryAfter: 5 * time.Minute},
			Driver:       DriverCommand,
		}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config:\n got %+v\nwant %+v", cfg, want)
		for i := range min(len(cfg.Services), len(want.Services)) {
			t.Errorf("service %d:\n got %+v\nwant %+v", i, *cfg.Services[i], *want.Services[i])
		}
	}
}

func TestLoad_MinimalConfigGetsEveryDefault(t *testing.T) {
	cfg, dir := mustLoad(t, `
service "www" {
  hosts = ["WWW.Example.ORG"]
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}
`)
	if got, want := cfg.Controller.StateDir, filepath.Join(dir, ".deploy"); got != want {
		t.Errorf("StateDir = %q, want %q", got, want)
	}
	if got, want := cfg.Controller.Socket, filepath.Join(dir, ".deploy", "control.sock"); got != want {
		t.Errorf("Socket = %q, want %q", got, want)
	}
	if got, want := cfg.Controller.ReleasesDir, filepath.Join(dir, ".deploy", "releases"); got != want {
		t.Errorf("ReleasesDir = %q, want %q", got, want)
	}
	if got := cfg.Controller.KeepReleases; got != 5 {
		t.Errorf("KeepReleases = %d, want 5", got)
	}
	if cfg.ZEO != nil {
		t.Errorf("ZEO = %v, want none", cfg.ZEO)
	}
	if got := cfg.Proxy.Listen; !reflect.DeepEqual(got, []string{"127.0.0.1:8080"}) {
		t.Errorf("Listen = %q, want the default", got)
	}
	if cfg.Proxy.TrustedProxies != nil {
		t.Errorf("TrustedProxies = %v, want none", cfg.Proxy.TrustedProxies)
	}
	if got := cfg.Proxy.HealthPath; got != "/.deploy/health" {
		t.Errorf("HealthPath = %q, want the default", got)
	}
	s, ok := cfg.Service("www")
	if !ok {
		t.Fatal(`Service("www") not found`)
	}
	want := Service{
		Name:         "www",
		Hosts:        []string{"www.example.org"},
		Instances:    1,
		DrainTimeout: 30 * time.Second,
		Slots:        []Slot{{Name: "blue", BasePort: 9101}},
		Stack: Stack{
			Dir:       dir,
			Command:   []string{"app"},
			Env:       map[string]string{},
			Ready:     Ready{Path: "/", Timeout: 60 * time.Second},
			Grace:     10 * time.Second,
			CrashLoop: CrashLoop{MaxExits: 5, Within: 60 * time.Second},
			Log:       LogRotation{MaxSize: 10 << 20, Keep: 3},
		},
		Health:       defaultHealthWant,
		Watch:        time.Minute,
		RollbackWhen: RollbackWhen{ErrorRate: 0.02, MinRequests: 20},
		Maintenance:  Maintenance{RetryAfter: 5 * time.Minute},
		Driver:       DriverCommand,
	}
	if !reflect.DeepEqual(*s, want) {
		t.Errorf("service:\n got %+v\nwant %+v", *s, want)
	}
}

func TestLoad_AbsolutePathsAreKeptAndSocketFollowsStateDir(t *testing.T) {
	stateDir := shortTempDir(t)
	cfg, dir := mustLoad(t, `
controller { state_dir = "`+stateDir+`" }
service "www" {
  default = true
  slot "blue" { base_port = 9101 }
  stack {
    dir     = "../`+filepath.Base(stateDir)+`"
    command = ["app"]
  }
}
`)
	if cfg.Controller.StateDir != stateDir {
		t.Errorf("StateDir = %q, want %q", cfg.Controller.StateDir, stateDir)
	}
	if want := filepath.Join(stateDir, "control.sock"); cfg.Controller.Socket != want {
		t.Errorf("Socket = %q, want %q", cfg.Controller.Socket, want)
	}
	if want := filepath.Join(filepath.Dir(dir), filepath.Base(stateDir)); cfg.Services[0].Stack.Dir != want {
		t.Errorf("Stack.Dir = %q, want %q", cfg.Services[0].Stack.Dir, want)
	}
}

func TestLoad_UnreadableFileIsAPlainReadError(t *testing.T) {
	cfg, diags, err := Load(filepath.Join(t.TempDir(), "missing.hcl"))
	if cfg != nil || diags != nil {
		t.Errorf("got cfg %v, diags %v; want nil, nil", cfg, diags)
	}
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "read config: ") {
		t.Errorf("err = %v, want a wrapped not-exist error starting with \"read config: \"", err)
	}
}

func TestParse_MissingStackDirIsOnlyAWarning(t *testing.T) {
	path := writeConfig(t, `
service "www" {
  default = true
  slot "blue" { base_port = 9101 }
  stack {
    dir     = "build/app"
    command = ["app"]
  }
}
`)
	cfg, diags, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg == nil || diags == nil || diags.HasErrors() || len(diags.Diags) != 1 {
		t.Fatalf("want a config and one warning, got cfg %v, diags %v", cfg, diags)
	}
	d := diags.Diags[0]
	if d.Summary != "Stack directory not found" || d.Subject.Start.Line != 6 || d.Subject.Start.Column != 15 {
		t.Errorf("warning = %q at %d,%d; want the stack dir at 6,15", d.Summary, d.Subject.Start.Line, d.Subject.Start.Column)
	}
}
