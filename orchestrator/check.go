package orchestrator

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"deploy/checks"
	"deploy/config"
	"deploy/plugins"
	"deploy/state"
)

// CheckRequest asks to run a service's checks against one of its slots.
type CheckRequest struct {
	Service string `json:"-"`
	Slot    string `json:"slot"`
	Actor   string `json:"-"`
}

// CheckReport is every check's result on every target of a slot.
type CheckReport struct {
	Service string          `json:"service"`
	Slot    string          `json:"slot"`
	Release string          `json:"release"`
	OK      bool            `json:"ok"`
	Summary string          `json:"summary"`
	Results []checks.Result `json:"results"`
	TookMS  int64           `json:"took_ms"`
}

// Check runs every check of the service against each instance of the slot
// on its own port and through the proxy (the preview route, or the live
// route when the slot is live). A failing check is a report, not an error.
func (c *Controller) Check(ctx context.Context, req CheckRequest) (rep *CheckReport, err error) {
	started := time.Now()
	entry := state.Entry{Actor: req.Actor, Op: "check", Service: req.Service, Slot: req.Slot}
	defer func() {
		// The history calls failed checks refused, like a gated switch.
		recorded := err
		if rep != nil {
			entry.Checks, entry.Release = rep.Summary, rep.Release
			if !rep.OK {
				recorded = errorf(KindChecksFailed, "", "%s", rep.Summary)
			}
		}
		c.record(entry, started, recorded)
	}()
	s, err := c.service(req.Service)
	if err != nil {
		return nil, err
	}
	if _, err := s.slotConfig(req.Slot); err != nil {
		return nil, err
	}
	release, err := s.busy.acquire(s.conf().Name, "check "+req.Slot, req.Actor)
	if err != nil {
		return nil, err
	}
	defer release()
	run := s.run(req.Slot)
	if run == nil {
		return nil, errorf(KindRefused, fmt.Sprintf("start it first: deploy up %s --slot %s", s.conf().Name, req.Slot),
			"cannot check %s slot %s: it is not running", s.conf().Name, req.Slot)
	}
	return c.checkSlot(ctx, s, run), nil
}

// checkSlot runs the checks on a running slot; callers hold the busy lock,
// because a slot that is not live is checked through the preview route,
// which this points at it.
func (c *Controller) checkSlot(ctx context.Context, s *service, run *slotRun) *CheckReport {
	started := time.Now()
	live := c.view().Service(s.conf().Name).Live == run.name
	if !live {
		c.previewSlot(s, run)
	}
	place := c.placeOfSlot(s, run.name)
	results := c.runChecks(ctx, s, run, place, live)
	c.metrics.checked(s.conf().Name, run.name, results)
	rep := &CheckReport{
		Service: s.conf().Name, Slot: run.name, Release: place.release,
		OK: len(checks.Failed(results)) == 0, Summary: checks.Summary(results), Results: results,
		TookMS: time.Since(started).Milliseconds(),
	}
	if len(results) == 0 {
		rep.Summary = "no checks configured; the slot answered its ready path"
	}
	return rep
}

// runChecks runs every check on every target at once. HTTP checks run on
// each instance directly and once through the proxy, TCP checks on each
// instance, command and zeo checks once for the slot.
func (c *Controller) runChecks(ctx context.Context, s *service, run *slotRun, place stackPlace, live bool) []checks.Result {
	type job struct {
		check  config.Check
		target checks.Target
	}
	var jobs []job
	for _, chk := range s.conf().Checks {
		switch {
		case chk.Plugin != "":
			jobs = append(jobs, job{chk, checks.Target{Label: "slot " + run.name, Via: "plugin " + chk.Plugin,
				Call: c.pluginCheckCall(s, run, chk)}})
		case chk.ZEO:
			z, _ := c.conf().ZEOServer(s.conf().ZEO)
			jobs = append(jobs, job{chk, checks.Target{Label: "zeo " + z.Name, Via: "zeo", Addr: z.Address, Storages: serviceStorages(s.conf(), z)}})
		case chk.Command != nil:
			slot, _ := s.conf().Slot(run.name)
			jobs = append(jobs, job{chk, checks.Target{Label: "slot " + run.name, Via: "command", Dir: place.dir, Env: c.slotEnv(s, slot, place, nil)}})
		default:
			for _, in := range run.instances {
				port := in.Spec().Port
				jobs = append(jobs, job{chk, checks.Target{
					Label: "instance " + strconv.Itoa(in.Spec().Index), Via: "direct", Addr: "127.0.0.1:" + strconv.Itoa(port),
				}})
			}
			if chk.HTTP != nil {
				t := checks.Target{Label: "live route", Via: "proxy", Addr: c.proxyAddr()}
				if c.redirectsToHTTPS(chk.HTTP.Host) {
					t.Addr, t.TLS = c.proxyHTTPSAddr(), true
				}
				if !live {
					t.Label, t.Header = "preview route", c.previewHeaders()
				}
				jobs = append(jobs, job{chk, t})
			}
		}
	}
	results := make([]checks.Result, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { results[i] = checks.Run(ctx, j.check, j.target) })
	}
	wg.Wait()
	return results
}

// slotEnv is the environment of a command that works on a slot's stack
// (command checks, migrations): the controller's, the stack's env, then the
// slot's variables.
func (c *Controller) slotEnv(s *service, slot config.Slot, place stackPlace, extra map[string]string) []string {
	env := os.Environ()
	for _, vars := range []map[string]string{s.conf().Stack.Env, extra} {
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			env = append(env, k+"="+vars[k])
		}
	}
	var ports []string
	for _, p := range slot.Ports(s.conf().Instances) {
		ports = append(ports, strconv.Itoa(p))
	}
	env = append(env,
		"SERVICE="+s.conf().Name,
		"SLOT="+slot.Name,
		"RELEASE="+place.release,
		"STACK_DIR="+place.dir,
		"PORTS="+strings.Join(ports, " "),
		"PROXY="+c.proxyAddr(),
	)
	if len(c.conf().Proxy.HTTPSListen) > 0 {
		env = append(env, "PROXY_HTTPS="+c.proxyHTTPSAddr())
	}
	if z, ok := c.conf().ZEOServer(s.conf().ZEO); ok {
		env = append(env, "ZEO_ADDRESS="+z.Address, "ZEO_STORAGES="+strings.Join(z.Storages, " "))
	}
	if s.conf().Zope != nil {
		// Zope scripts (zconsole run, upgrade steps) need a zope.conf; the
		// first instance's is written before a migration runs.
		env = append(env, "ZOPE_CONF="+zopeFiles(c.instanceSpec(s.conf(), slot, 1, place).VarDir).ZopeConf)
	}
	return env
}

// pluginCheckCall is one attempt of a plugin check on a slot's instances.
func (c *Controller) pluginCheckCall(s *service, run *slotRun, chk config.Check) func(context.Context) (bool, string) {
	return func(ctx context.Context) (bool, string) {
		ch, settings, err := c.parts.checker(ctx, chk)
		if err != nil {
			return false, err.Error()
		}
		req := plugins.CheckRequest{Service: s.conf().Name, Slot: run.name, Config: settings}
		for i, in := range run.instances {
			req.Targets = append(req.Targets, plugins.CheckTarget{Label: "instance " + strconv.Itoa(in.Spec().Index), Addr: run.addr(i)})
		}
		res, err := ch.Check(ctx, req)
		if err != nil {
			return false, err.Error()
		}
		return res.OK, res.Message
	}
}
