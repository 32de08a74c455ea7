package orchestrator

import (
	"context"
	"fmt"
	"time"

	"deploy/proxy"
	"deploy/state"
)

// SwitchRequest asks to route a service's new requests to another slot.
type SwitchRequest struct {
	Service string `json:"-"`
	To      string `json:"to"`
	// Force skips the readiness gate (not the need for running instances);
	// history records it.
	Force  bool   `json:"force,omitempty"`
	Reason string `json:"reason,omitempty"`
	Actor  string `json:"-"`
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
}

// Switch routes the service's new requests to req.To. Requests in flight
// finish on the old slot, which keeps running for a rollback.
func (c *Controller) Switch(ctx context.Context, req SwitchRequest) (*SwitchResult, error) {
	return c.switchTo(ctx, "switch", req)
}

// Rollback switches back to the previous slot, which is still warm.
func (c *Controller) Rollback(ctx context.Context, req RollbackRequest) (*SwitchResult, error) {
	sreq := SwitchRequest{Service: req.Service, Force: req.Force, Reason: req.Reason, Actor: req.Actor}
	if s, ok := c.services[req.Service]; ok {
		svc := c.view().Service(s.cfg.Name)
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
		if res != nil && res.Drain != nil {
			entry.Detail = drainDetail(res.Drain)
		}
		c.record(entry, started, err)
	}()
	s, err := c.service(req.Service)
	if err != nil {
		return nil, err
	}
	if _, err := s.slotConfig(req.To); err != nil {
		return nil, err
	}
	release, err := s.busy.acquire(s.cfg.Name, op)
	if err != nil {
		return nil, err
	}
	drain, res, err := c.swap(ctx, s, op, req)
	release()
	if err != nil {
		return nil, err
	}
	entry.From = res.From
	if !res.Unchanged {
		go c.pruneReleases()
	}
	if drain != nil {
		dctx, cancel := context.WithTimeout(ctx, s.cfg.DrainTimeout)
		defer cancel()
		r := drain.Wait(dctx)
		res.Drain = &r
	}
	return res, nil
}

// swap checks the target slot, saves the new live slot and flips the proxy.
// It runs under the service's busy lock; the drain that follows does not, so
// that a rollback is possible while the old slot still drains.
func (c *Controller) swap(ctx context.Context, s *service, op string, req SwitchRequest) (*proxy.Drain, *SwitchResult, error) {
	name := s.cfg.Name
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
	drain, err := c.proxy.Switch(name, proxy.Backend{Slot: req.To, Addrs: run.addrs()})
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

func drainDetail(d *proxy.DrainResult) string {
	switch {
	case d.Drained:
		return fmt.Sprintf("%s drained in %s", d.Slot, d.Took.Round(time.Millisecond))
	case d.LiveAgain:
		return fmt.Sprintf("%s became live again while draining", d.Slot)
	default:
		return fmt.Sprintf("%s still had %d requests in flight at the drain timeout; they finish on the running slot", d.Slot, d.Remaining)
	}
}
