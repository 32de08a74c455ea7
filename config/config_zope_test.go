package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// exampleZopeConfig uses every setting of the zope driver, virtual hosting,
// managed ZEO servers and zeo checks. Its zeo.conf template is
// testdata/zeo.conf.tmpl, so it also loads from this package's directory,
// as the fuzzer does.
const exampleZopeConfig = `zeo "main" {
  address  = "127.0.0.1:8100"
  storages = ["main", "session"]
  managed {
    command                 = ["bin/runzeo", "-C", "zeo.conf"]
    dir                     = "testdata"                 # default: the config file's directory
    config_template         = "testdata/zeo.conf.tmpl"   # default: the built-in zeo.conf
    invalidation_queue_size = 100000                     # default: the server's
    transaction_timeout     = "5m"                       # default: the server's
    pack {
      command  = ["bin/zeopack", "-d", "1"]
      schedule = "weekly"                  # "daily", "weekly" or a duration
      days     = 7                         # default 1
    }
  }
}
zeo "cache" {
  address = "127.0.0.1:8200"
  managed {
    command = ["bin/runzeo"]
    pack {
      command  = ["bin/zeopack"]
      schedule = "90s"
    }
  }
}
zeo "remote" {
  address  = "zeo.example.org:8100"
  storages = ["main"]
}

service "site" {
  hosts  = ["www.example.org"]
  zeo    = "main"
  driver = "zope"                    # default "command"
  slot "blue"  { base_port = 9101 }
  slot "green" { base_port = 9201 }
  stack {}                           # the zope driver has a default command
  zope {
    mount "main" {
      path = "/"
    }
    mount "session" {
      path = "/session_folder"
    }
    cache_size   = "256MB"           # default 128MB
    object_cache = 50000             # default 30000
    blob_dir     = "var/blobs/"      # default "blobs", in each instance's var dir
    threads      = 8                 # default 4
    command      = ["bin/runwsgi", "-v", "etc/wsgi.ini"]
  }
  virtual_host {
    root        = "/Plone"
    path_prefix = "/intranet"        # default none
  }
  check "db" {
    zeo {}
  }
}

service "cms" {
  hosts  = ["cms.example.org"]
  zeo    = "remote"
  driver = "zope"
  slot "blue" { base_port = 9301 }
  stack { command = ["bin/instance", "fg"] }
  zope {
    mount "main" {
      path = "/"
    }
    shared_blob_dir = "/srv/zope//blobs/"
  }
  virtual_host {
    root = "/"
  }
}

service "api" {
  default = true
  driver  = "command"
  slot "blue" { base_port = 9401 }
  stack { command = ["bin/api"] }
  virtual_host {
    root = "/api"
  }
}
`

// zeoTemplate is testdata/zeo.conf.tmpl.
func zeoTemplate(t *testing.T) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "zeo.conf.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestLoad_ZopeExampleYieldsEveryFieldWithItsDefaults(t *testing.T) {
	dir := shortTempDir(t)
	tmpl := writeFile(t, dir, "testdata/zeo.conf.tmpl", zeoTemplate(t))
	path := writeFile(t, dir, "deploy.hcl", []byte(exampleZopeConfig))
	cfg, diags, err := Load(path)
	if err != nil || diags != nil {
		t.Fatalf("Load: %v, %v", err, diags)
	}

	wantZEO := []*ZEO{
		{
			Name:     "main",
			Address:  "127.0.0.1:8100",
			Storages: []string{"main", "session"},
			Managed: &ManagedZEO{
				Command:               []string{"bin/runzeo", "-C", "zeo.conf"},
				Dir:                   filepath.Join(dir, "testdata"),
				ConfigTemplate:        tmpl,
				InvalidationQueueSize: 100000,
				TransactionTimeout:    5 * time.Minute,
				Pack:                  &ZEOPack{Command: []string{"bin/zeopack", "-d", "1"}, Every: 168 * time.Hour, Days: 7},
			},
		},
		{
			Name:     "cache",
			Address:  "127.0.0.1:8200",
			Storages: []string{"1"},
			Managed: &ManagedZEO{
				Command: []string{"bin/runzeo"},
				Dir:     dir,
				Pack:    &ZEOPack{Command: []string{"bin/zeopack"}, Every: 90 * time.Second, Days: 1},
			},
		},
		{Name: "remote", Address: "zeo.example.org:8100", Storages: []string{"main"}},
	}
	for i := range max(len(cfg.ZEO), len(wantZEO)) {
		if i >= len(cfg.ZEO) || i >= len(wantZEO) || !reflect.DeepEqual(cfg.ZEO[i], wantZEO[i]) {
			t.Errorf("zeo %d:\n got %s\nwant %s", i, zeoString(cfg.ZEO, i), zeoString(wantZEO, i))
		}
	}

	// Everything but the zope settings has its defaults, as the other
	// tests of a service check; they are copied so that the services can
	// be compared whole.
	base := func(s *Service) Service {
		return Service{
			Name: s.Name, Hosts: s.Hosts, Default: s.Default, Instances: 1, DrainTimeout: 30 * time.Second,
			Slots: s.Slots, Stack: s.Stack, Health: defaultHealthWant, Watch: time.Minute,
			RollbackWhen: RollbackWhen{ErrorRate: 0.02, MinRequests: 20},
			Maintenance:  Maintenance{RetryAfter: 5 * time.Minute},
		}
	}
	site, cms, api := cfg.Services[0], cfg.Services[1], cfg.Services[2]

	wantSite := base(site)
	wantSite.ZEO = "main"
	wantSite.Driver = DriverZope
	wantSite.Zope = &Zope{
		Mounts:      []ZopeMount{{Name: "main", Path: "/"}, {Name: "session", Path: "/session_folder"}},
		CacheSize:   256 << 20,
		ObjectCache: 50000,
		BlobDir:     "var/blobs",
		Threads:     8,
		Command:     []string{"bin/runwsgi", "-v", "etc/wsgi.ini"},
	}
	wantSite.VirtualHost = &VirtualHost{Root: "/Plone", PathPrefix: "/intranet"}
	wantSite.Checks = []Check{{Name: "db", ZEO: true, Timeout: 5 * time.Second, Retries: 2, Interval: time.Second}}

	wantCMS := base(cms)
	wantCMS.ZEO = "remote"
	wantCMS.Driver = DriverZope
	wantCMS.Zope = &Zope{
		Mounts:        []ZopeMount{{Name: "main", Path: "/"}},
		CacheSize:     128 << 20,
		ObjectCache:   30000,
		SharedBlobDir: "/srv/zope/blobs",
		Threads:       4,
	}
	wantCMS.VirtualHost = &VirtualHost{Root: "/"}

	wantAPI := base(api)
	wantAPI.Driver = DriverCommand
	wantAPI.VirtualHost = &VirtualHost{Root: "/api"}

	for _, tc := range []struct{ got, want *Service }{{site, &wantSite}, {cms, &wantCMS}, {api, &wantAPI}} {
		if !reflect.DeepEqual(*tc.got, *tc.want) {
			t.Errorf("service %q:\n got %+v\nwant %+v", tc.want.Name, *tc.got, *tc.want)
			if tc.got.Zope != nil && tc.want.Zope != nil {
				t.Logf("zope:\n got %+v\nwant %+v", *tc.got.Zope, *tc.want.Zope)
			}
		}
	}

	if site.Stack.Command != nil {
		t.Errorf("site's stack command = %q, want none: the zope driver has its default", site.Stack.Command)
	}
	if want := []string{"bin/instance", "fg"}; !reflect.DeepEqual(cms.Stack.Command, want) {
		t.Errorf("cms's stack command = %q, want %q", cms.Stack.Command, want)
	}
}

// zeoString formats servers[i] and its managed settings for a failure
// message.
func zeoString(servers []*ZEO, i int) string {
	if i >= len(servers) {
		return "none"
	}
	z := servers[i]
	s := fmt.Sprintf("%+v", *z)
	if m := z.Managed; m != nil {
		s += fmt.Sprintf(" managed %+v", *m)
		if m.Pack != nil {
			s += fmt.Sprintf(" pack %+v", *m.Pack)
		}
	}
	return s
}

func TestLoad_WarnsOfAManagedZEODirectoryThatDoesNotExistYet(t *testing.T) {
	path := writeConfig(t, `zeo "main" {
  address = "127.0.0.1:8100"
  managed {
    command = ["bin/runzeo"]
    dir     = "zeo"
  }
}
`+okService)
	cfg, diags, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diags == nil || len(diags.Diags) != 1 {
		t.Fatalf("diagnostics = %v, want one warning", diags)
	}
	d := diags.Diags[0]
	if d.Summary != "ZEO directory not found" || d.Subject.Start.Line != 5 || d.Subject.Start.Column != 15 ||
		!strings.Contains(d.Detail, `ZEO server "main" will fail to start`) {
		t.Errorf("got %s at %d,%d: %s", d.Summary, d.Subject.Start.Line, d.Subject.Start.Column, d.Detail)
	}
	if want := filepath.Join(filepath.Dir(path), "zeo"); cfg.ZEO[0].Managed.Dir != want {
		t.Errorf("Dir = %q, want %q", cfg.ZEO[0].Managed.Dir, want)
	}
}

func TestLoad_CommandDriverServiceHasNoZopeSettings(t *testing.T) {
	cfg, _ := mustLoad(t, okService)
	s := cfg.Services[0]
	if s.Driver != DriverCommand || s.Zope != nil || s.VirtualHost != nil {
		t.Errorf("Driver %q, Zope %v, VirtualHost %v; want the command driver alone", s.Driver, s.Zope, s.VirtualHost)
	}
}
