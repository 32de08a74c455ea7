package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// checker turns the raw decoded file into a Config while collecting every
// problem it finds. It keeps going after a problem so that one run reports
// them all; the Config it builds is only used when no error was found.
type checker struct {
	dir   string // absolute directory of the config file
	diags hcl.Diagnostics

	// Cross-service state, filled in file order so that a conflict is
	// reported at the later definition and names the earlier one.
	services map[string]hcl.Range // service name -> label range
	hosts    map[string]hostClaim // host -> where it routes
	deflt    *hcl.Range           // the first `default = true`
	deflName string
	ports    []portRange          // proxy listen ports, then every slot's range
	zeoNames map[string]hcl.Range // zeo block name -> label range
	zeoOrder []string             // zeo block names in file order, once each
	// zeoStorages are the storages of each zeo block name (the first block
	// of that name), or nil when its storages setting had an error, so
	// that what names a storage is checked only against a sound list.
	zeoStorages map[string][]string

	// pluginDirState says whether controller { plugin_dir } is set, so
	// that a plugin block without a path can be found.
	pluginDirState state
	pluginDefs     map[string]pluginDef // plugin block name -> definition
	pluginOrder    []string             // plugin block names in file order, once each

	// https says whether the proxy has HTTPS listeners (or https_listen is
	// in error), so that a service's own certificate has a use.
	https bool
}

func (c *checker) add(d *hcl.Diagnostic) {
	c.diags = append(c.diags, d)
}

// file checks the whole file. start is where to report problems of the file
// as a whole, such as a missing service block.
func (c *checker) file(raw *rawFile, file string, start hcl.Range) *Config {
	c.services = map[string]hcl.Range{}
	c.hosts = map[string]hostClaim{}
	cfg := &Config{
		File:       file,
		Controller: c.controller(raw.Controllers, start),
		Proxy:      c.proxy(raw.Proxies),
		ZEO:        c.zeos(raw.ZEOs),
		Plugins:    c.plugins(raw.Plugins),
	}
	if len(raw.Services) == 0 {
		c.add(errorf(start, "Missing service block",
			"Define at least one service, such as service \"www\" { ... }."))
	}
	for _, rs := range raw.Services {
		cfg.Services = append(cfg.Services, c.service(rs))
	}
	c.checkHostRoutes(raw.Services, cfg.Services)
	return cfg
}

// once reports every block after the first of a kind that may appear only
// once. gohcl would report them too, but then drop the blocks unchecked.
func once[T any](c *checker, kind string, blocks []*T, defRange func(*T) hcl.Range) {
	for _, b := range blocks[min(1, len(blocks)):] {
		c.add(errorf(defRange(b), fmt.Sprintf("Duplicate %s block", kind),
			"Only one %s block is allowed here; the first is at %s. Merge the two.", kind, where(defRange(blocks[0]))))
	}
}
