package config

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Plugins: external stack drivers, checks and notifiers, each a binary that
// the controller runs through go-plugin. The configuration names them and
// keeps their settings as written; the controller checks those against the
// schema each plugin reports.

// pluginDef is what a reference to a plugin block needs to know of it.
type pluginDef struct {
	kind string    // "" when the block's kind is missing or wrong
	rng  hcl.Range // the block's label
}

// exampleSHA256 is the digest messages show: sha256("test").
const exampleSHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// plugins checks every plugin block. They are checked before the services
// so that a service may name a plugin defined further down the file.
func (c *checker) plugins(raws []*rawPlugin) []*Plugin {
	c.pluginDefs = map[string]pluginDef{}
	var out []*Plugin
	for _, r := range raws {
		// Invalid names are remembered too: a reference to one would
		// otherwise get a second error that fixing the name removes.
		ok := c.name("plugin", r.Name, r.NameRange)
		first, dup := c.pluginDefs[r.Name]
		if dup && ok {
			c.add(errorf(r.NameRange, "Duplicate plugin",
				"Plugin %q is already defined (first defined at %s). Rename or remove one of them.", r.Name, where(first.rng)))
		}
		p := c.plugin(r)
		if !dup {
			c.pluginDefs[r.Name] = pluginDef{kind: p.Kind, rng: r.NameRange}
			c.pluginOrder = append(c.pluginOrder, r.Name)
		}
		out = append(out, p)
	}
	return out
}

// plugin checks one plugin block. Its Kind is "" when the kind is in error.
func (c *checker) plugin(r *rawPlugin) *Plugin {
	p := &Plugin{Name: r.Name}
	kind, st := decode[string](c, r.Kind)
	switch {
	case st == absent:
		c.add(errorf(r.DefRange, "Missing plugin kind",
			"Plugin %q needs a kind that says what it does: %s, such as kind = %q.", r.Name, quoteAll(PluginKinds), PluginDriver))
	case st == invalid:
	case !slices.Contains(PluginKinds, kind):
		c.add(errorf(r.Kind.Range(), "Unknown plugin kind",
			"%q is not a plugin kind; the kinds are %s: a \"driver\" runs a service's instances, a \"check\" is a smoke check, a \"notifier\" is told what deployments did.", kind, quoteAll(PluginKinds)))
	case kind == PluginDriver && slices.Contains(drivers, r.Name):
		c.add(errorf(r.NameRange, "Plugin named after a built-in driver",
			"driver = %q names the built-in driver, so this plugin could never be used. Rename it, such as plugin \"%s-plugin\".", r.Name, r.Name))
		p.Kind = kind
	default:
		p.Kind = kind
	}

	path, st := c.path(r.Path, "")
	p.Path = path
	if st == absent && c.pluginDirState == absent {
		file := (&Plugin{Name: r.Name, Kind: cmp.Or(p.Kind, "KIND")}).BinaryName()
		c.add(errorf(r.DefRange, "Missing plugin path",
			"Plugin %q has no path, and no plugin directory is set to find it in. Set path, such as path = \"/opt/deploy/plugins/%s\", or controller { plugin_dir } to the directory that holds %s.", r.Name, file, file))
	}
	p.SHA256 = c.sha256(r.SHA256)
	return p
}

// sha256 decodes the digest a plugin binary must have; nil when it is
// absent or wrong.
func (c *checker) sha256(expr hcl.Expression) []byte {
	s, st := decode[string](c, expr)
	if st != valid {
		return nil
	}
	sum, err := hex.DecodeString(s)
	if err == nil && len(sum) == sha256.Size {
		return sum
	}
	what := "is not hexadecimal"
	if len(s) != 2*sha256.Size {
		what = fmt.Sprintf("has %d characters", len(s))
	}
	c.add(errorf(expr.Range(), "Invalid sha256",
		"%q %s; a SHA-256 digest is 64 hex digits, as sha256sum prints them, such as sha256 = %q.", s, what, exampleSHA256))
	return nil
}

// pluginRef decodes a reference to a plugin block, which must be of kind.
// setting names the reference in messages, such as "a check's plugin".
// A plugin whose own kind is in error resolves as invalid without a
// second report.
func (c *checker) pluginRef(expr hcl.Expression, kind, setting string) (string, state) {
	name, st := decode[string](c, expr)
	if st != valid {
		return "", st
	}
	def, ok := c.pluginDefs[name]
	if !ok {
		c.add(errorf(expr.Range(), "Unknown plugin",
			"No plugin block is named %q; %s", name, c.pluginsHint(kind)))
		return "", invalid
	}
	if c.pluginKind(name, def, kind, setting, expr.Range()) != valid {
		return "", invalid
	}
	return name, valid
}

// pluginKind checks that the plugin def, named at rng, is of kind.
func (c *checker) pluginKind(name string, def pluginDef, kind, setting string, rng hcl.Range) state {
	switch def.kind {
	case kind:
		return valid
	case "":
		// The plugin block's kind is reported there.
		return invalid
	}
	c.add(errorf(rng, "Wrong plugin kind",
		"Plugin %q (defined at %s) is of kind %q, but %s must be of kind %q; %s", name, where(def.rng), def.kind, setting, kind, c.pluginsHint(kind)))
	return invalid
}

// pluginsHint lists the plugins of kind for a message, or says how to
// define one when there is none.
func (c *checker) pluginsHint(kind string) string {
	names := c.pluginsOf(kind)
	if len(names) == 0 {
		return fmt.Sprintf("there is no plugin of kind %q. Define one, such as plugin \"NAME\" { kind = %q }, with its path.", kind, kind)
	}
	return fmt.Sprintf("the plugins of kind %q are %s.", kind, quoteAll(names))
}

// pluginsOf returns the names of the plugins of kind, in file order,
// leaving out driver plugins named like a built-in driver: no service can
// name them.
func (c *checker) pluginsOf(kind string) []string {
	var names []string
	for _, n := range c.pluginOrder {
		if c.pluginDefs[n].kind == kind && !(kind == PluginDriver && slices.Contains(drivers, n)) {
			names = append(names, n)
		}
	}
	return names
}

// pluginConfig checks the config attribute of a plugin check or notifier
// (block names it in messages, such as "check"). The plugin decodes it
// against its own schema, so here it only has to be an object constructor
// that evaluates without variables or functions, as every setting does.
// pluginState says whether the block names a plugin.
func (c *checker) pluginConfig(expr hcl.Expression, pluginState state, block string) PluginSettings {
	obj, isObj := expr.(*hclsyntax.ObjectConsExpr)
	if !isObj {
		// gohcl stands a null for a missing attribute, and null means
		// absent for every setting.
		if v, diags := expr.Value(nil); !diags.HasErrors() && v.IsNull() {
			return PluginSettings{}
		}
	}
	switch {
	case pluginState == absent:
		// Whatever is wrong inside, the whole setting goes.
		c.add(errorf(expr.Range(), "Plugin config without a plugin",
			"config holds the settings of a plugin, but this %s names none. Set plugin = \"NAME\" to a plugin block, or remove config.", block))
	case !isObj:
		c.add(errorf(expr.Range(), "Invalid plugin config",
			"config holds the plugin's settings and must be written as an object, such as config = { room = \"#ops\" }; the plugin checks each setting when the controller starts it."))
	default:
		if _, st := decode[cty.Value](c, obj); st == valid {
			return PluginSettings{Expr: obj}
		}
	}
	return PluginSettings{}
}

// driverConfig checks the driver_config blocks of a service. The plugin
// driver decodes the body against its own schema, so it is kept as is.
func (c *checker) driverConfig(r *rawService, driver string, driverState state) PluginSettings {
	once(c, "driver_config", r.DriverConfigs, func(r *rawDriverConfig) hcl.Range { return r.DefRange })
	if len(r.DriverConfigs) == 0 || driverState == invalid {
		return PluginSettings{}
	}
	if slices.Contains(drivers, driver) {
		c.add(errorf(r.DriverConfigs[0].DefRange, "driver_config without a plugin driver",
			"The driver_config block holds the settings of a plugin driver, but service %q uses %s. Set driver to a plugin of kind \"driver\", or remove the block.", r.Name, driverName(driver)))
		return PluginSettings{}
	}
	return PluginSettings{Body: r.DriverConfigs[0].Body}
}

// driverName names a valid driver in a message, such as "the command
// driver" or "the plugin driver \"plone\"".
func driverName(driver string) string {
	if slices.Contains(drivers, driver) {
		return "the " + driver + " driver"
	}
	return fmt.Sprintf("the plugin driver %q", driver)
}
