package config

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// examplePluginsConfig uses every setting of plugins: a plugin driver with
// its driver_config, a plugin check and plugin notifiers, with and without
// config, and a plugin found in the plugin directory. Plugin blocks may
// come after the services that name them.
const examplePluginsConfig = `controller {
  plugin_dir = "plugins"             # default none: every plugin needs a path
}

plugin "plone" {
  kind   = "driver"                  # driver, check or notifier
  sha256 = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
}
plugin "zcatalog-check" {
  kind = "check"
  path = "bin/zcatalog-check"        # default: plugin_dir/deploy-plugin-<kind>-<name>
}

service "site" {
  hosts  = ["www.example.org"]
  driver = "plone"                   # a plugin of kind driver
  slot "blue"  { base_port = 9101 }
  slot "green" { base_port = 9201 }
  stack {}                           # the plugin driver gives the command
  driver_config {
    buildout = "buildout.cfg"
    site "Plone" {
      addons = ["plone.app.caching"]
    }
  }
  check "catalog" {
    plugin  = "zcatalog-check"
    config  = { min_objects = 1000, paths = ["/news"] }
    timeout = "30s"
    retries = 0
  }
  check "home" {
    http {}
  }
  notify "chat" {
    plugin = "notify-matrix"
    config = {
      room = "#ops"
    }
    events = ["switch", "rollback"]
  }
  notify "bare" {
    plugin = "notify-matrix"
  }
}

service "api" {
  hosts  = ["api.example.org"]
  driver = "plone"
  slot "blue" { base_port = 9301 }
  stack { command = ["bin/api"] }
}

plugin "notify-matrix" {
  kind   = "notifier"
  path   = "/opt/deploy/plugins//deploy-plugin-notifier-matrix"
  sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
}
`

// testDigest is sha256("test"), the digest the example pins.
var testDigest = []byte{
	0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15,
	0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08,
}

// span is where a plugin's settings are written: line and column of their
// first and last character.
type span struct{ startLine, startCol, endLine, endCol int }

func spanOf(r hcl.Range) span {
	return span{r.Start.Line, r.Start.Column, r.End.Line, r.End.Column}
}

// takeSettings checks that ps holds exactly the settings at want (an
// expression when expr, else a body) and clears them, so that the rest of
// what holds them compares with reflect.DeepEqual.
func takeSettings(t *testing.T, what string, ps *PluginSettings, expr bool, want span) {
	t.Helper()
	var got span
	switch {
	case expr && ps.Expr != nil && ps.Body == nil:
		got = spanOf(ps.Expr.Range())
	case !expr && ps.Body != nil && ps.Expr == nil:
		body, ok := ps.Body.(*hclsyntax.Body)
		if !ok {
			t.Fatalf("%s: body is a %T, want the block's own *hclsyntax.Body", what, ps.Body)
		}
		got = spanOf(body.SrcRange)
	default:
		t.Fatalf("%s: settings %+v, want only the %s", what, *ps, map[bool]string{true: "expression", false: "body"}[expr])
	}
	if got != want {
		t.Errorf("%s: settings span %v, want %v", what, got, want)
	}
	*ps = PluginSettings{}
}

func TestLoad_PluginsExampleYieldsEveryFieldWithSettingsKeptAsWritten(t *testing.T) {
	cfg, dir := mustLoad(t, examplePluginsConfig)
	file := filepath.Join(dir, "deploy.hcl")

	if want := filepath.Join(dir, "plugins"); cfg.Controller.PluginDir != want {
		t.Errorf("PluginDir = %q, want %q", cfg.Controller.PluginDir, want)
	}
	wantPlugins := []*Plugin{
		{Name: "plone", Kind: PluginDriver, SHA256: testDigest},
		{Name: "zcatalog-check", Kind: PluginCheck, Path: filepath.Join(dir, "bin/zcatalog-check")},
		{Name: "notify-matrix", Kind: PluginNotifier, Path: "/opt/deploy/plugins/deploy-plugin-notifier-matrix", SHA256: testDigest},
	}
	if !reflect.DeepEqual(cfg.Plugins, wantPlugins) {
		for i := range max(len(cfg.Plugins), len(wantPlugins)) {
			if i >= len(cfg.Plugins) || i >= len(wantPlugins) || !reflect.DeepEqual(cfg.Plugins[i], wantPlugins[i]) {
				t.Errorf("plugin %d differs; got %+v, want %+v", i, cfg.Plugins[i:], wantPlugins[i:])
				break
			}
		}
	}
	if p, ok := cfg.Plugin("plone"); !ok || p.BinaryName() != "deploy-plugin-driver-plone" {
		t.Errorf("Plugin(plone) = %+v, %v; want the binary deploy-plugin-driver-plone", p, ok)
	}

	site, api := cfg.Services[0], cfg.Services[1]
	if !site.DriverIsPlugin() || !api.DriverIsPlugin() {
		t.Errorf("DriverIsPlugin() = %v, %v; want true for both", site.DriverIsPlugin(), api.DriverIsPlugin())
	}
	driverBody := site.DriverConfig.Body
	takeSettings(t, "site driver_config", &site.DriverConfig, false, span{20, 17, 25, 4})
	catalogConfig := site.Checks[0].PluginConfig.Expr
	takeSettings(t, "check catalog", &site.Checks[0].PluginConfig, true, span{28, 15, 28, 56})
	takeSettings(t, "notify chat", &site.Notify[0].PluginConfig, true, span{37, 14, 39, 6})

	wantSite := Service{
		Name:         "site",
		Hosts:        []string{"www.example.org"},
		Instances:    1,
		DrainTimeout: 30 * time.Second,
		Slots:        []Slot{{Name: "blue", BasePort: 9101}, {Name: "green", BasePort: 9201}},
		Stack:        site.Stack, // checked below
		Checks: []Check{
			{Name: "catalog", Plugin: "zcatalog-check", Timeout: 30 * time.Second, Retries: 0, Interval: time.Second},
			{
				Name:     "home",
				HTTP:     &HTTPCheck{Method: "GET", Path: "/", Host: "www.example.org", Status: []StatusRange{{200, 399}}},
				Timeout:  5 * time.Second,
				Retries:  2,
				Interval: time.Second,
			},
		},
		Health:       defaultHealthWant,
		Watch:        time.Minute,
		RollbackWhen: RollbackWhen{ErrorRate: 0.02, MinRequests: 20},
		Maintenance:  Maintenance{RetryAfter: 5 * time.Minute},
		Notify: []Notify{
			{Name: "chat", Plugin: "notify-matrix", Events: []string{"switch", "rollback"}, Timeout: 10 * time.Second},
			{Name: "bare", Plugin: "notify-matrix", Events: NotifyEvents, Timeout: 10 * time.Second},
		},
		Driver: "plone",
	}
	wantAPI := Service{
		Name:         "api",
		Hosts:        []string{"api.example.org"},
		Instances:    1,
		DrainTimeout: 30 * time.Second,
		Slots:        []Slot{{Name: "blue", BasePort: 9301}},
		Stack:        api.Stack,
		Health:       defaultHealthWant,
		Watch:        time.Minute,
		RollbackWhen: RollbackWhen{ErrorRate: 0.02, MinRequests: 20},
		Maintenance:  Maintenance{RetryAfter: 5 * time.Minute},
		Driver:       "plone",
	}
	for _, tc := range []struct{ got, want *Service }{{site, &wantSite}, {api, &wantAPI}} {
		if !reflect.DeepEqual(*tc.got, *tc.want) {
			t.Errorf("service %q:\n got %+v\nwant %+v", tc.want.Name, *tc.got, *tc.want)
		}
	}
	if site.Stack.Command != nil || !reflect.DeepEqual(api.Stack.Command, []string{"bin/api"}) {
		t.Errorf("stack commands %q and %q; want none (the plugin's) and bin/api", site.Stack.Command, api.Stack.Command)
	}

	// The controller decodes the settings against the plugin's schema;
	// they must decode as written, and point into the file.
	content, diags := driverBody.Content(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "buildout", Required: true}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "site", LabelNames: []string{"name"}}},
	})
	if diags.HasErrors() {
		t.Fatalf("driver_config does not decode: %v", diags)
	}
	if r := content.Attributes["buildout"].Expr.Range(); r.Filename != file || r.Start.Line != 21 {
		t.Errorf("buildout at %s, want %s:21", r, file)
	}
	if len(content.Blocks) != 1 || content.Blocks[0].Labels[0] != "Plone" {
		t.Errorf("driver_config blocks %+v, want site \"Plone\"", content.Blocks)
	}
	v, diags := catalogConfig.Value(nil)
	if diags.HasErrors() || !v.GetAttr("min_objects").RawEquals(cty.NumberIntVal(1000)) {
		t.Errorf("catalog config = %#v, %v; want min_objects = 1000", v, diags)
	}
}

func TestLoad_PluginsWithoutPluginDirNeedPathsAndMayPinNoDigest(t *testing.T) {
	cfg, dir := mustLoad(t, `plugin "up" {
  kind = "check"
  path = "../plugins/up"
}
plugin "x" {
  kind = "notifier"
  path = "x"
  sha256 = null
}
`+serviceWith(`  check "up" {
    plugin = "up"
    config = null
  }
  notify "x" {
    plugin = "x"
    config = {}
  }
`))
	want := []*Plugin{
		{Name: "up", Kind: PluginCheck, Path: filepath.Join(filepath.Dir(dir), "plugins/up")},
		{Name: "x", Kind: PluginNotifier, Path: filepath.Join(dir, "x")},
	}
	if !reflect.DeepEqual(cfg.Plugins, want) {
		t.Errorf("Plugins = %+v, want %+v", cfg.Plugins, want)
	}
	if cfg.Controller.PluginDir != "" {
		t.Errorf("PluginDir = %q, want none", cfg.Controller.PluginDir)
	}
	s := cfg.Services[0]
	if s.DriverIsPlugin() || s.DriverConfig != (PluginSettings{}) {
		t.Errorf("Driver %q, DriverConfig %+v; want the command driver alone", s.Driver, s.DriverConfig)
	}
	if s.Checks[0].PluginConfig != (PluginSettings{}) {
		t.Errorf("config = null gave %+v, want no settings", s.Checks[0].PluginConfig)
	}
	if s.Notify[0].PluginConfig.Expr == nil {
		t.Error("config = {} gave no settings, want the empty object")
	}
}

func TestLoad_ACheckPluginMayBeNamedLikeABuiltInDriver(t *testing.T) {
	cfg, _ := mustLoad(t, `plugin "command" {
  kind = "check"
  path = "p"
}
`+serviceWith(`  driver = "command"
  check "c" {
    plugin = "command"
  }
`))
	s := cfg.Services[0]
	if s.Driver != DriverCommand || s.DriverIsPlugin() || s.Checks[0].Plugin != "command" {
		t.Errorf("Driver %q, check plugin %q; want the built-in command driver and the check plugin", s.Driver, s.Checks[0].Plugin)
	}
}

func TestLoad_ConfigsWithoutPluginsHaveNoPluginFields(t *testing.T) {
	for name, src := range map[string]string{
		"example": exampleConfig, "checks": exampleChecksConfig, "zope": exampleZopeConfig,
	} {
		cfg, diags, err := Parse([]byte(src), "deploy.hcl")
		if err != nil {
			var b bytes.Buffer
			_ = diags.Write(&b, false)
			t.Fatalf("%s: %v\n%s", name, err, b.String())
		}
		if cfg.Plugins != nil || cfg.Controller.PluginDir != "" {
			t.Errorf("%s: plugins %v, plugin dir %q", name, cfg.Plugins, cfg.Controller.PluginDir)
		}
		for _, s := range cfg.Services {
			if s.DriverIsPlugin() || s.DriverConfig != (PluginSettings{}) {
				t.Errorf("%s: service %q driver %q, driver config %+v", name, s.Name, s.Driver, s.DriverConfig)
			}
		}
	}
}
