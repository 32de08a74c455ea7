package orchestrator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"deploy/config"
	"deploy/state"
)

// ReloadRequest asks the controller to read its configuration file again.
type ReloadRequest struct {
	Actor string `json:"-"`
}

func (r *ReloadRequest) setCaller(_, actor string) { r.Actor = actor }

// ReloadResult says what a reload changed.
type ReloadResult struct {
	File    string   `json:"file"`
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
	Changed []string `json:"changed,omitempty"`
	// Warnings are the configuration's warnings, as deploy validate prints
	// them.
	Warnings string `json:"warnings,omitempty"`
}

// Reload reads the configuration file again and puts it in force: services
// added, removed or changed (hosts, checks, timeouts, ...), and the access
// log. It is all or nothing: a file with errors, a change only a restart
// can make, or a change that running slots forbid leaves the running
// configuration as it was, and so does a service busy with an operation.
// Traffic is never interrupted: the routing table is swapped like a switch.
func (c *Controller) Reload(_ context.Context, req ReloadRequest) (res *ReloadResult, err error) {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	started := time.Now()
	old := c.conf()
	defer func() {
		e := state.Entry{Actor: req.Actor, Op: "reload", Reason: old.File}
		if res != nil {
			e.Detail = res.summary()
		}
		c.record(e, started, err)
	}()
	cfg, warnings, err := loadForReload(old.File)
	if err != nil {
		return nil, err
	}
	if err := restartNeeded(old, cfg); err != nil {
		return nil, err
	}
	current := c.serviceMap()
	release, err := c.holdAll(current, "reload", "nothing was reloaded", req.Actor)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := c.reloadable(current, cfg); err != nil {
		return nil, err
	}
	access, err := c.accessLogFile(cfg.Proxy.AccessLog)
	if err != nil {
		return nil, err
	}
	res = &ReloadResult{File: old.File, Warnings: warnings}
	next := make(map[string]*service, len(cfg.Services))
	for _, sc := range cfg.Services {
		s, ok := current[sc.Name]
		switch {
		case !ok:
			s = newService(sc)
			res.Added = append(res.Added, sc.Name)
		case !reflect.DeepEqual(s.conf(), sc):
			res.Changed = append(res.Changed, sc.Name)
		}
		next[sc.Name] = s
	}
	for name := range current {
		if _, ok := next[name]; !ok {
			res.Removed = append(res.Removed, name)
		}
	}
	slices.Sort(res.Removed)
	c.apply(cfg, next)
	c.useAccessLog(access, cfg.Proxy.AccessLog)
	for _, s := range next {
		c.syncJobs(s)
	}
	c.log.Info("configuration reloaded", "file", old.File, "added", res.Added, "removed", res.Removed, "changed", res.Changed)
	return res, nil
}

// apply puts a checked configuration in force. Callers hold every service's
// busy lock, so no operation sees the change half-made.
func (c *Controller) apply(cfg *config.Config, services map[string]*service) {
	for _, sc := range cfg.Services {
		services[sc.Name].cfg.Store(sc)
	}
	c.cfg.Store(cfg)
	c.services.Store(&services)
	c.proxy.Configure(c.routes(cfg))
	if c.certs != nil {
		c.certs.SetSites(certificateSites(cfg))
	}
	c.scheduleRestarts()
}

// loadForReload loads the configuration file and renders its diagnostics as
// text: the operator who asked for the reload reads them, not the daemon's
// log.
func loadForReload(file string) (*config.Config, string, error) {
	cfg, diags, err := config.Load(file)
	var text bytes.Buffer
	diags.Write(&text, false)
	if err != nil {
		var d *config.Diagnostics
		if errors.As(err, &d) {
			return nil, "", errorf(KindInvalid, "fix the file (deploy validate shows the same); the running configuration stays in force",
				"configuration %s has errors; nothing was reloaded:\n%s", file, strings.TrimRight(text.String(), "\n"))
		}
		return nil, "", errorf(KindInvalid, "the running configuration stays in force", "reload %s: %v", file, err)
	}
	return cfg, text.String(), nil
}

// restartNeeded refuses changes a running controller cannot make: its own
// settings (state, socket, status page, metrics), the proxy's listeners and
// certificate settings, the ZEO servers and the plugins.
func restartNeeded(old, cfg *config.Config) error {
	oldProxy, newProxy := old.Proxy, cfg.Proxy
	oldProxy.AccessLog, newProxy.AccessLog = nil, nil
	var changed []string
	for _, part := range []struct {
		name     string
		old, new any
	}{
		{"the controller block", old.Controller, cfg.Controller},
		{"the proxy block (other than access_log)", oldProxy, newProxy},
		{"the zeo blocks", old.ZEO, cfg.ZEO},
		{"the plugin blocks", old.Plugins, cfg.Plugins},
	} {
		if !reflect.DeepEqual(part.old, part.new) {
			changed = append(changed, part.name)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return errorf(KindRefused, "restart the controller to apply them (instances keep running and are adopted), or undo them and reload",
		"a reload cannot change %s; nothing was reloaded", strings.Join(changed, ", "))
}

// holdAll takes the busy lock of every service for op, so that no
// operation runs while the configuration changes under it (or while the
// controller hands over to its successor); a busy service refuses op rather
// than making it wait behind, say, a release's watch. undone says, for the
// message, what did not happen.
func (c *Controller) holdAll(services map[string]*service, op, undone, actor string) (release func(), err error) {
	var releases []func()
	release = func() {
		for _, r := range releases {
			r()
		}
	}
	for _, name := range slices.Sorted(maps.Keys(services)) {
		r, err := services[name].busy.acquire(name, op, actor)
		if err != nil {
			release()
			e := asError(err)
			e.Message += "; " + undone
			return nil, e
		}
		releases = append(releases, r)
	}
	return release, nil
}

// reloadable refuses changes that running slots forbid: a slot keeps its
// ports and its number of instances for as long as it runs, and a service
// leaves the configuration only once none of its slots runs.
func (c *Controller) reloadable(current map[string]*service, cfg *config.Config) error {
	snap := c.view()
	var problems []string
	for name, s := range current {
		running := c.runningSlots(s, snap.Service(name))
		if len(running) == 0 {
			continue
		}
		sc, kept := cfg.Service(name)
		if !kept {
			problems = append(problems, fmt.Sprintf("service %s is removed but its slots %s run (stop them with deploy down first)", name, strings.Join(running, ", ")))
			continue
		}
		old := s.conf()
		if sc.Instances != old.Instances {
			problems = append(problems, fmt.Sprintf("instances of %s change from %d to %d while its slots %s run", name, old.Instances, sc.Instances, strings.Join(running, ", ")))
		}
		for _, slot := range running {
			was, _ := old.Slot(slot)
			now, ok := sc.Slot(slot)
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("slot %s of %s is removed while it runs", slot, name))
			case now.BasePort != was.BasePort:
				problems = append(problems, fmt.Sprintf("slot %s of %s moves from base_port %d to %d while it runs", slot, name, was.BasePort, now.BasePort))
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	return errorf(KindRefused, "a running slot keeps its ports and instances: stop the slot (deploy down) or leave these settings as they are, then reload",
		"nothing was reloaded: %s", strings.Join(problems, "; "))
}

// runningSlots are the slots of a service that have processes or a state
// other than stopped, sorted.
func (c *Controller) runningSlots(s *service, st *state.Service) []string {
	var out []string
	for _, slot := range s.conf().Slots {
		rec := st.Slots[slot.Name]
		if s.run(slot.Name) != nil || rec != nil && rec.Status != state.SlotStopped {
			out = append(out, slot.Name)
		}
	}
	return out
}

// summary is the history's one-line account of a reload.
func (r *ReloadResult) summary() string {
	var parts []string
	for _, p := range []struct {
		what  string
		names []string
	}{{"added", r.Added}, {"removed", r.Removed}, {"changed", r.Changed}} {
		if len(p.names) > 0 {
			parts = append(parts, p.what+" "+strings.Join(p.names, ", "))
		}
	}
	if len(parts) == 0 {
		return "no service changed"
	}
	return strings.Join(parts, "; ")
}
