package config

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// Plugin kinds: what an external plugin binary does for deploy.
const (
	// PluginDriver runs the instances of a service (driver = "NAME").
	PluginDriver = "driver"
	// PluginCheck is a smoke check (check "x" { plugin = "NAME" }).
	PluginCheck = "check"
	// PluginNotifier is told what deployments did
	// (notify "x" { plugin = "NAME" }).
	PluginNotifier = "notifier"
)

// PluginKinds are the kinds a plugin block may have, as messages list them.
var PluginKinds = []string{PluginDriver, PluginCheck, PluginNotifier}

// Plugin is an external plugin binary named in the config.
type Plugin struct {
	Name string
	Kind string // PluginDriver, PluginCheck or PluginNotifier
	// Path is the absolute path of the binary, or "" when the block gives
	// none: then the controller looks for BinaryName in
	// Controller.PluginDir, which is set. Neither is checked to exist at
	// load, since a plugin may be installed after its configuration.
	Path string
	// SHA256 is the digest the binary must have, 32 bytes, or nil when the
	// block pins none.
	SHA256 []byte
}

// BinaryName is the file name the controller looks for in
// Controller.PluginDir when the plugin has no Path:
// "deploy-plugin-<kind>-<name>".
func (p *Plugin) BinaryName() string {
	return "deploy-plugin-" + p.Kind + "-" + p.Name
}

// PluginSettings are a plugin's settings as written: the controller decodes
// them against the schema the plugin reports, so diagnostics still point
// into the file.
type PluginSettings struct {
	// Expr is the `config = { ... }` object constructor of a plugin check
	// or notifier; nil when absent. It evaluates without variables or
	// functions (checked at load).
	Expr hcl.Expression
	// Body is the body of a service's driver_config block, for a plugin
	// driver; nil when absent. It is not decoded at load.
	Body hcl.Body
}

// Plugin returns the plugin with the given name.
func (c *Config) Plugin(name string) (*Plugin, bool) {
	for _, p := range c.Plugins {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// DriverIsPlugin reports whether the service's driver is a plugin of kind
// PluginDriver (in Config.Plugins) rather than a built-in driver.
func (s *Service) DriverIsPlugin() bool {
	return s.Driver != "" && !slices.Contains(drivers, s.Driver)
}
