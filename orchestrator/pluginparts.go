package orchestrator

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"deploy/config"
	"deploy/plugins"
)

// defaultPluginTimeout bounds one call to a plugin.
const defaultPluginTimeout = 30 * time.Second

// pluginParts are the external plugins the config names, launched through
// one host. A plugin is launched, and its settings checked against the
// schema it reports, on first use: a plugin that is broken (missing, wrong
// checksum, crashing) fails the operations that need it, never the
// controller or the live slot.
type pluginParts struct {
	host  *plugins.Host
	specs map[string]plugins.Spec // by plugin name
	// specErr says why a plugin could not even be located.
	specErr map[string]error

	mu       sync.Mutex
	settings map[settingsKey]map[string]any
}

// settingsKey names one use of a plugin: its settings as written.
type settingsKey struct {
	plugin string
	rng    hcl.Range
}

func newPluginParts(cfg *config.Config, host *plugins.Host) *pluginParts {
	p := &pluginParts{host: host, specs: map[string]plugins.Spec{}, specErr: map[string]error{},
		settings: map[settingsKey]map[string]any{}}
	for _, pl := range cfg.Plugins {
		path := pl.Path
		if path == "" {
			found, err := plugins.Find(cfg.Controller.PluginDir, pl.Kind, pl.Name)
			if err != nil {
				p.specErr[pl.Name] = err
			}
			path = found
		}
		p.specs[pl.Name] = plugins.Spec{Name: pl.Name, Kind: pl.Kind, Path: path, SHA256: pl.SHA256, Timeout: defaultPluginTimeout}
	}
	return p
}

// spec returns a plugin's launch spec, or why it cannot be launched.
func (p *pluginParts) spec(name string) (plugins.Spec, error) {
	if err := p.specErr[name]; err != nil {
		return plugins.Spec{}, fmt.Errorf("plugin %q: %w", name, err)
	}
	s, ok := p.specs[name]
	if !ok {
		return plugins.Spec{}, fmt.Errorf("no plugin named %q", name)
	}
	return s, nil
}

// values returns a use's settings, checked against the plugin's schema the
// first time; schema asks the plugin for it.
func (p *pluginParts) values(ctx context.Context, name string, set config.PluginSettings,
	schema func(context.Context) (plugins.Schema, error)) (map[string]any, error) {
	key := settingsKey{plugin: name, rng: settingsRange(set)}
	p.mu.Lock()
	v, ok := p.settings[key]
	p.mu.Unlock()
	if ok {
		return v, nil
	}
	sch, err := schema(ctx)
	if err != nil {
		return nil, err
	}
	v, diags := decodeSettings(sch, set)
	if diags.HasErrors() {
		return nil, fmt.Errorf("settings of plugin %q: %s", name, diagText(diags))
	}
	p.mu.Lock()
	p.settings[key] = v
	p.mu.Unlock()
	return v, nil
}

func settingsRange(set config.PluginSettings) hcl.Range {
	switch {
	case set.Expr != nil:
		return set.Expr.Range()
	case set.Body != nil:
		return set.Body.MissingItemRange()
	}
	return hcl.Range{}
}

// diagText writes diagnostics as "file:line,col: summary; detail" lines.
func diagText(diags hcl.Diagnostics) string {
	var parts []string
	for _, d := range diags {
		where := ""
		if d.Subject != nil {
			where = fmt.Sprintf("%s:%d,%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		parts = append(parts, where+d.Summary+"; "+d.Detail)
	}
	return strings.Join(parts, "\n")
}

// checker returns a plugin check and its settings.
func (p *pluginParts) checker(ctx context.Context, chk config.Check) (plugins.Checker, map[string]any, error) {
	spec, err := p.spec(chk.Plugin)
	if err != nil {
		return nil, nil, err
	}
	ch := p.host.Checker(spec)
	v, err := p.values(ctx, chk.Plugin, chk.PluginConfig, ch.ConfigSchema)
	return ch, v, err
}

// notifier returns a plugin notifier and its settings.
func (p *pluginParts) notifier(ctx context.Context, n config.Notify) (plugins.Notifier, map[string]any, error) {
	spec, err := p.spec(n.Plugin)
	if err != nil {
		return nil, nil, err
	}
	no := p.host.Notifier(spec)
	v, err := p.values(ctx, n.Plugin, n.PluginConfig, no.ConfigSchema)
	return no, v, err
}

// driver returns a service's plugin driver and its settings.
func (p *pluginParts) driver(ctx context.Context, sc *config.Service) (plugins.Driver, map[string]any, error) {
	spec, err := p.spec(sc.Driver)
	if err != nil {
		return nil, nil, err
	}
	d := p.host.Driver(spec)
	v, err := p.values(ctx, sc.Driver, sc.DriverConfig, d.ConfigSchema)
	return d, v, err
}

// isPluginDriver reports whether a service's driver is an external plugin.
func isPluginDriver(sc *config.Service) bool {
	return sc.Driver != "" && sc.Driver != config.DriverCommand && sc.Driver != config.DriverZope
}
