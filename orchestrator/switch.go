package orchestrator

import (
	"context"
	"fmt"
	"time"

	"deploy/checks"
	"deploy/proxy"
	"deploy/state"
)

// interruptWait bounds how long a switch or rollback waits for a release's
// watch to give way.
const interruptWait = 5 * time.Second

// SwitchRequest asks to route a service's new requests to another slot.
type SwitchRequest struct {
	Service string `json:"-"`
	To      string `json:"to"`
	// Force skips the readiness gate (not the need for running instances);
	// history records it.
	Force bool `json:"force,omitempty"`
	// SkipChecks switches without running the service's checks; history
	// records it.
	SkipChecks bool   `json:"skip_checks,omitempty"`
	Reason     string `json:"reason,omitempty"`
	Actor      string `json:"-"`

	// checked is the passing report of checks a release ran just before.
	checked *CheckReport
}

// RollbackRequest asks to switch a service back to its previous slot.
type RollbackRequest struct {
	Service string `json:"-"`
	Force   bool   `json:"force,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Actor   string `json:"-"`
}

// SwitchResult says what a switch did and how the old slot drained.
type SwitchResult struct {
	Service string `json:"service"`
	From    string `json:"from,omitempty"`
	To      string `json:"to"`
	// Unchanged is true when the slot was already live.
	Unchanged bool               `json:"unchanged,omitempty"`
	Forced    bool               `json:"forced,omitempty"`
	SwapUS    int64              `json:"swap_us"`
	Drain     *proxy.DrainResult `json:"drain,omitempty"`
	// Checks summarises the gate's checks, or why they did not run.
	Checks string `json:"checks,omitempty"`
}

// Switch routes the service's new requests to req.To. Requests in flight
// finish on the old slot, which keeps running for a rollback.
func (c *Controller) Switch(ctx context.Context, req SwitchRequest) (*SwitchResult, error) {
	return c.switchTo(ctx, "switch", req)
}

// Rollback switches back to the previous slot, which is still warm.
func (c *Controller) Rollback(ctx context.Context, req RollbackRequest) (*SwitchResult, error) {
	// A rollback goes back to the slot that was live and checked before;
	// rerunning its checks would only slow down an incident.
	sreq := SwitchRequest{Service: req.Service, Force: req.Force, SkipChecks: true, Reason: req.Reason, Actor: req.Actor}
	if s, ok := c.serviceMap()[req.Service]; ok {
		svc := c.view().Service(s.conf().Name)
		if svc.Previous == "" {
			err := errorf(KindRefused, "there is nothing to roll back to; use deploy switch to choose a slot",
				"%s has no previous slot", req.Service)
			c.record(state.Entry{Actor: req.Actor, Op: "rollback", Service: req.Service, Reason: req.Reason}, time.Now(), err)
			return nil, err
		}
		sreq.To = svc.Previous
	}
	return c.switchTo(ctx, "rollback", sreq)
}

func (c *Controller) switchTo(ctx context.Context, op string, req SwitchRequest) (res *SwitchResult, err error) {
	started := time.Now()
	entry := state.Entry{Actor: req.Actor, Op: op, Service: req.Service, To: req.To, Reason: req.Reason, Forced: req.Force}
	defer func() {
		if res != nil {
			entry.Checks = res.Checks
			if res.Drain != nil {
				entry.Detail = res.Drain.String()
			}
		}
		if e := asError(err); e != nil && e.Kind == KindChecksFailed {
			entry.Checks = checks.Summary(e.Checks)
		}
		c.record(entry, started, err)
		if res != nil && !res.Unchanged {
			c.notify(Event{Event: op, Service: req.Service, Actor: req.Actor, From: res.From, To: res.To, Reason: req.Reason, Result: state.ResultOK})
		}
	}()
	s, err := c.service(req.Service)
	if err != nil {
		return nil, err
	}
	if _, err := s.slotConfig(req.To); err != nil {
		return nil, err
	}
	// An operator's switch or rollback takes over from a release that is
	// only watching its new slot.
	lctx, cancel := context.WithTimeout(ctx, interruptWait)
	release, err := s.busy.acquireOrInterrupt(lctx, s.conf().Name, op, req.Actor)
	cancel()
	if err != nil {
		return nil, err
	}
	drain, res, err := c.swap(ctx, s, op, req)
	release()
	if err != nil {
		return nil, err
	}
	entry.From = res.From
	if rec := c.view().Service(s.conf().Name).Slots[req.To]; rec != nil {
		entry.Release = rec.Release
	}
	c.finishSwitch(ctx, s, res, drain)
	return res, nil
}

// finishSwitch follows a switch that happened: the preview route moves to
// the slot that was live, the old slot drains, old releases are pruned.
func (c *Controller) finishSwitch(ctx context.Context, s *service, res *SwitchResult, drain *proxy.Drain) {
	if res.Unchanged {
		return
	}
	c.refreshPreview(s)
	c.syncJobs(s)
	go c.pruneReleases()
	if drain != nil {
		dctx, cancel := context.WithTimeout(ctx, s.conf().DrainTimeout)
		defer cancel()
		r := drain.Wait(dctx)
		res.Drain = &r
	}
}

// swap checks the target slot, saves the new live slot and flips the proxy.
// It runs under the service's busy lock; the drain that follows does not, so
// that a rollback is possible while the old slot still drains.
func (c *Controller) swap(ctx context.Context, s *service, op string, req SwitchRequest) (*proxy.Drain, *SwitchResult, error) {
	name := s.conf().Name
	before := c.view().Service(name)
	from := before.Live
	res := &SwitchResult{Service: name, From: from, To: req.To, Forced: req.Force}
	if from == req.To {
		res.Unchanged = true
		return nil, res, nil
	}
	run := s.run(req.To)
	if run == nil && op == "rollback" {
		return nil, nil, errorf(KindRefused, fmt.Sprintf("nothing warm to go back to; start it (deploy up %s --slot %s) and switch to it", name, req.To),
			"cannot roll back %s: its previous slot %s is no longer running", name, req.To)
	}
	if run == nil {
		return nil, nil, errorf(KindRefused, fmt.Sprintf("start it first: deploy up %s --slot %s", name, req.To),
			"cannot switch %s to %s: slot %s is not running", name, req.To, req.To)
	}
	if err := run.probeAll(ctx); err != nil && !req.Force {
		return nil, nil, errorf(KindRefused, "check the slot's logs and status; --force switches anyway and is recorded",
			"cannot %s %s to %s: slot %s is not ready: %v", op, name, req.To, req.To, err)
	}
	switch {
	case req.checked != nil:
		res.Checks = req.checked.Summary
	case req.SkipChecks && op == "rollback":
		res.Checks = "skipped: a rollback returns to the slot checked before"
	case req.SkipChecks:
		res.Checks = "skipped by --skip-checks"
	default:
		rep := c.checkSlot(ctx, s, run)
		if !rep.OK {
			e := errorf(KindChecksFailed, fmt.Sprintf("deploy check %s --slot %s shows every result; --skip-checks switches anyway and is recorded", name, req.To),
				"cannot switch %s to %s: its checks failed: %s", name, req.To, rep.Summary)
			e.Checks = rep.Results
			return nil, nil, e
		}
		res.Checks = rep.Summary
	}
	err := c.update(func(snap *state.Snapshot) {
		svc := snap.Service(name)
		if svc.Live != "" {
			svc.Previous = svc.Live
		}
		svc.Live = req.To
	})
	if err != nil {
		return nil, nil, errorf(KindFailed, "nothing was switched", "%s %s to %s: %v", op, name, req.To, err)
	}
	t0 := time.Now()
	drain, err := c.proxy.Switch(name, run.backend())
	res.SwapUS = time.Since(t0).Microseconds()
	if err != nil {
		return nil, nil, c.undoLive(name, before, req.To, err)
	}
	c.log.Info(op, "service", name, "from", from, "to", req.To, "forced", req.Force, "reason", req.Reason)
	return drain, res, nil
}

// undoLive puts the saved live and previous slots back after the proxy
// refused the flip, so that state never names a live slot the proxy does not
// route to.
func (c *Controller) undoLive(name string, before *state.Service, to string, cause error) error {
	err := c.update(func(snap *state.Snapshot) {
		svc := snap.Service(name)
		svc.Live, svc.Previous = before.Live, before.Previous
	})
	if err != nil {
		c.log.Error("restore live slot after failed switch", "service", name, "err", err)
	}
	return errorf(KindFailed, "nothing was switched", "switch %s to %s: %v", name, to, cause)
}
