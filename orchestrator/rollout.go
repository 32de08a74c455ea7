package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"deploy/checks"
	"deploy/config"
	"deploy/proxy"
	"deploy/stacks/release"
	"deploy/state"
)

// Release pipeline steps, as events and history name them.
const (
	stepBuild          = "build"
	stepUp             = "up"
	stepChecks         = "checks"
	stepWarmUp         = "warm-up"
	stepSwitch         = "switch"
	stepWatch          = "watch"
	stepRollback       = "rollback"
	stepMaintenanceOn  = "maintenance on"
	stepStopOld        = "stop old slots"
	stepMigrate        = "migrate"
	stepMaintenanceOff = "maintenance off"
)

// ReleaseRequest asks to take a release live: (build) → up the idle slot →
// checks → warm-up → switch → watch, rolling back by itself when the new
// slot misbehaves while watched.
type ReleaseRequest struct {
	Service string `json:"-"`
	// Release is the id of a built release, or the id to build From under.
	Release string `json:"release,omitempty"`
	// From is a directory (absolute) to build into the release first.
	From string `json:"from,omitempty"`
	// Watch overrides the service's watch window when set.
	Watch *Duration `json:"watch,omitempty"`
	// Maintenance walks the maintenance path, which a release that needs a
	// migration must take: maintenance on → stop the old slots → migrate →
	// up → checks → switch → maintenance off.
	Maintenance bool   `json:"maintenance,omitempty"`
	Message     string `json:"message,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Actor       string `json:"-"`
}

// ReleaseResult says how a release that went live did.
type ReleaseResult struct {
	Service  string               `json:"service"`
	Release  string               `json:"release"`
	From     string               `json:"from,omitempty"`
	To       string               `json:"to"`
	Migrated bool                 `json:"migrated,omitempty"`
	Checks   *CheckReport         `json:"checks,omitempty"`
	WarmUp   *checks.WarmUpResult `json:"warm_up,omitempty"`
	Watch    *WatchReport         `json:"watch,omitempty"`
	TookMS   int64                `json:"took_ms"`
}

// Release runs the release pipeline under the service's busy lock.
func (c *Controller) Release(ctx context.Context, req ReleaseRequest) (res *ReleaseResult, err error) {
	started := time.Now()
	entry := state.Entry{Actor: req.Actor, Op: "release", Service: req.Service, Release: req.Release, Reason: req.Reason}
	defer func() {
		if res != nil {
			entry.From, entry.To = res.From, res.To
			if res.Checks != nil {
				entry.Checks = res.Checks.Summary
			}
		}
		e := asError(err)
		if e != nil && e.Checks != nil {
			entry.Checks = checks.Summary(e.Checks)
		}
		c.record(entry, started, err)
		ev := Event{Event: "release", Service: req.Service, Actor: req.Actor, Release: entry.Release, From: entry.From, To: entry.To,
			Reason: req.Reason, Result: state.ResultOK, Checks: entry.Checks}
		if e != nil {
			ev.Event, ev.Result, ev.Error = "release_failed", state.ResultFailed, e.Message
		}
		c.notify(ev)
	}()
	s, err := c.service(req.Service)
	if err != nil {
		return nil, err
	}
	if req.Release == "" && req.From == "" {
		return nil, errorf(KindInvalid, "give --release ID, or --from DIR to build one", "no release given")
	}
	if req.Watch != nil && *req.Watch < 0 {
		return nil, errorf(KindInvalid, "give a watch window of 0s (none) or more", "watch %s is negative", time.Duration(*req.Watch))
	}
	if req.Message != "" && !req.Maintenance {
		return nil, errorf(KindInvalid, "give the message with --maintenance", "a maintenance message without the maintenance path")
	}
	unlock, err := s.busy.acquire(s.conf().Name, "release", req.Actor)
	if err != nil {
		return nil, err
	}
	defer unlock()
	step := stepper(ctx)

	if req.From != "" {
		if req.Release == "" {
			req.Release = "r" + time.Now().UTC().Format("20060102-150405")
			entry.Release = req.Release
		}
		step(stepBuild, StepRunning, "building %s from %s", req.Release, req.From)
		if _, err := c.BuildRelease(ctx, BuildRequest{Source: req.From, ID: req.Release, Actor: req.Actor}); err != nil {
			step(stepBuild, StepFailed, "%v", err)
			return nil, err
		}
		step(stepBuild, StepOK, "built %s", req.Release)
	}
	m, _, err := c.releases.Get(req.Release)
	if errors.Is(err, release.ErrNotFound) {
		return nil, errorf(KindNotFound, "deploy releases lists them; --from DIR builds one", "no release %q", req.Release)
	}
	if err != nil {
		return nil, err
	}
	idle, err := c.idleSlot(s)
	if err != nil {
		return nil, err
	}
	before := c.view().Service(s.conf().Name)
	res = &ReleaseResult{Service: s.conf().Name, Release: req.Release, From: before.Live, To: idle.Name}
	window := s.conf().Watch
	if req.Watch != nil {
		window = time.Duration(*req.Watch)
	}

	if m.NeedsMigration && !req.Maintenance {
		return res, errorf(KindRefused,
			fmt.Sprintf("deploy release %s --release %s --maintenance takes the site into maintenance, stops the old slots, migrates, starts, checks and switches", s.conf().Name, req.Release),
			"release %s needs a data migration: it cannot run side by side with the old code on one database", req.Release)
	}
	if req.Maintenance {
		err = c.releaseThroughMaintenance(ctx, s, idle, req, res)
	} else {
		err = c.releaseSideBySide(ctx, s, idle, req, res, window)
	}
	res.TookMS = time.Since(started).Milliseconds()
	return res, err
}

// idleSlot is the slot a release goes to: the first slot that is not live.
func (c *Controller) idleSlot(s *service) (config.Slot, error) {
	live := c.view().Service(s.conf().Name).Live
	for _, sl := range s.conf().Slots {
		if sl.Name != live {
			return sl, nil
		}
	}
	return config.Slot{}, errorf(KindRefused, "add a second slot to the service in the config",
		"%s has no slot besides the live one %s to release into", s.conf().Name, live)
}

// releaseSideBySide is the usual path: the new slot starts beside the live
// one, which stays warm for a rollback.
func (c *Controller) releaseSideBySide(ctx context.Context, s *service, idle config.Slot, req ReleaseRequest, res *ReleaseResult, window time.Duration) error {
	step := stepper(ctx)
	step(stepUp, StepRunning, "starting %s in slot %s", req.Release, idle.Name)
	if _, err := c.up(ctx, s, idle, req.Release, nil); err != nil {
		step(stepUp, StepFailed, "%v", err)
		return err
	}
	step(stepUp, StepOK, "slot %s is ready", idle.Name)
	run := s.run(idle.Name)
	if err := c.gate(ctx, s, run, res); err != nil {
		return err
	}
	if err := c.warmUp(ctx, s, run, res); err != nil {
		return err
	}
	previous := res.From
	done, err := c.releaseSwitch(ctx, s, idle.Name, req, res)
	if err != nil {
		return err
	}
	defer done()
	return c.watchAndRollBack(ctx, s, idle.Name, previous, req, res, window)
}

// gate runs the checks on the new slot; a failure ends the release with
// nothing switched.
func (c *Controller) gate(ctx context.Context, s *service, run *slotRun, res *ReleaseResult) error {
	step := stepper(ctx)
	step(stepChecks, StepRunning, "checking slot %s directly and through the preview route", run.name)
	rep := c.checkSlot(ctx, s, run)
	res.Checks = rep
	if !rep.OK {
		step(stepChecks, StepFailed, "%s", rep.Summary)
		e := errorf(KindChecksFailed,
			fmt.Sprintf("nothing was switched; slot %s keeps running so it can be looked at through the preview route (deploy check %s --slot %s runs the checks again)", run.name, s.conf().Name, run.name),
			"release %s failed its checks on slot %s: %s", res.Release, run.name, rep.Summary)
		e.Checks = rep.Results
		return e
	}
	step(stepChecks, StepOK, "%s", rep.Summary)
	return nil
}

// warmUp requests the configured URLs of the new slot until it answers about
// as fast as the live slot. Not reaching the ratio in time is reported, not
// fatal: a slow first minute is better than no release.
func (c *Controller) warmUp(ctx context.Context, s *service, run *slotRun, res *ReleaseResult) error {
	step := stepper(ctx)
	w := s.conf().WarmUp
	if w == nil {
		return nil
	}
	var live []string
	if _, addrs := c.proxy.Live(s.conf().Name); addrs != nil {
		live = addrs
	}
	host := "localhost"
	if len(s.conf().Hosts) > 0 {
		host = s.conf().Hosts[0]
	}
	step(stepWarmUp, StepRunning, "requesting %d URLs on slot %s", len(w.URLs), run.name)
	wr, err := checks.WarmUp(ctx, *w, host, run.addrs(), live, func(r checks.WarmUpResult) {
		step(stepWarmUp, StepInfo, "round %d: p50 %.1fms (live %.1fms)", r.Rounds, r.NewP50MS, r.LiveP50MS)
	})
	if err != nil {
		step(stepWarmUp, StepFailed, "%v", err)
		return errorf(KindFailed, "nothing was switched", "warm-up of slot %s: %v", run.name, err)
	}
	res.WarmUp = &wr
	status := StepOK
	if !wr.OK {
		status = StepInfo
	}
	step(stepWarmUp, status, "%s", wr.Message)
	return nil
}

// releaseSwitch switches to the new slot and records it as a switch of its
// own. The old slot drains in the background; done waits for the drain.
func (c *Controller) releaseSwitch(ctx context.Context, s *service, to string, req ReleaseRequest, res *ReleaseResult) (done func(), err error) {
	step := stepper(ctx)
	started := time.Now()
	step(stepSwitch, StepRunning, "switching %s to %s", s.conf().Name, to)
	sreq := SwitchRequest{Service: s.conf().Name, To: to, Reason: releaseReason(req), Actor: req.Actor, checked: res.Checks}
	drain, swres, err := c.swap(ctx, s, "switch", sreq)
	entry := state.Entry{Actor: req.Actor, Op: "switch", Service: s.conf().Name, From: res.From, To: to, Reason: sreq.Reason, Release: res.Release}
	if swres != nil {
		entry.Checks = swres.Checks
	}
	c.record(entry, started, err)
	if err != nil {
		step(stepSwitch, StepFailed, "%v", err)
		return nil, err
	}
	c.notify(Event{Event: "switch", Service: s.conf().Name, Actor: req.Actor, From: res.From, To: to, Release: res.Release, Reason: sreq.Reason, Result: state.ResultOK})
	step(stepSwitch, StepOK, "%s is live on %s (swap %dµs)", res.Release, to, swres.SwapUS)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		c.finishSwitch(context.WithoutCancel(ctx), s, swres, drain)
	}()
	return func() { <-finished }, nil
}

func releaseReason(req ReleaseRequest) string {
	if req.Reason != "" {
		return "release " + req.Release + ": " + req.Reason
	}
	return "release " + req.Release
}

// rollBackRelease switches back to the slot that was live before the
// release, still warm, and records why.
func (c *Controller) rollBackRelease(ctx context.Context, s *service, previous, reason string, req ReleaseRequest) (*proxy.Drain, *SwitchResult, error) {
	started := time.Now()
	sreq := SwitchRequest{Service: s.conf().Name, To: previous, SkipChecks: true, Reason: "automatic: " + reason, Actor: req.Actor}
	drain, swres, err := c.swap(ctx, s, "rollback", sreq)
	entry := state.Entry{Actor: req.Actor, Op: "rollback", Service: s.conf().Name, To: previous, Reason: sreq.Reason}
	if swres != nil {
		entry.From, entry.Checks = swres.From, swres.Checks
		c.notify(Event{Event: "rollback", Service: s.conf().Name, Actor: req.Actor, From: swres.From, To: previous, Reason: sreq.Reason, Result: state.ResultOK})
	}
	c.record(entry, started, err)
	return drain, swres, err
}
