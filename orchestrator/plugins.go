package orchestrator

import (
	"context"
	"time"
)

// pluginProbeTimeout bounds how long `deploy plugins` waits for one plugin.
const pluginProbeTimeout = 10 * time.Second

// PluginReport is one configured plugin as `deploy plugins` shows it.
type PluginReport struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Path        string `json:"path"`
	Version     string `json:"version,omitempty"` // the plugin's own
	Description string `json:"description,omitempty"`
	Protocol    int    `json:"protocol,omitempty"` // the plugin protocol version spoken
	Pinned      bool   `json:"pinned"`             // a sha256 is configured, and checked at every launch
	Running     bool   `json:"running"`
	Healthy     bool   `json:"healthy"`
	Error       string `json:"error,omitempty"`
}

// Plugins launches (or reuses) every configured plugin, asks it who it is,
// and reports what the host knows of it.
func (c *Controller) Plugins(ctx context.Context) ([]PluginReport, error) {
	var out []PluginReport
	for _, pl := range c.conf().Plugins {
		r := PluginReport{Name: pl.Name, Kind: pl.Kind, Pinned: len(pl.SHA256) > 0}
		spec, err := c.parts.spec(pl.Name)
		if err == nil {
			r.Path = spec.Path
			pctx, cancel := context.WithTimeout(ctx, pluginProbeTimeout)
			info, perr := c.parts.host.Probe(pctx, spec)
			cancel()
			err = perr
			r.Version, r.Description = info.Version, info.Description
		}
		r.Healthy = err == nil
		if err != nil {
			r.Error = err.Error()
		}
		for _, st := range c.parts.host.Status() {
			if st.Name == pl.Name {
				r.Protocol, r.Running = st.Protocol, st.Running
			}
		}
		out = append(out, r)
	}
	return out, nil
}
