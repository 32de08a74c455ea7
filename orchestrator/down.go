package orchestrator

import (
	"context"
	"fmt"
	"time"

	"deploy/proxy"
	"deploy/state"
)

// DownRequest asks to stop a slot that is not live.
type DownRequest struct {
	Service string `json:"-"`
	Slot    string `json:"slot"`
	Actor   string `json:"-"`
}

// DownResult says what stopped and how the slot's last requests ended.
type DownResult struct {
	Service string            `json:"service"`
	Slot    string            `json:"slot"`
	Already bool              `json:"already_stopped,omitempty"`
	Drain   proxy.DrainResult `json:"drain"`
}

// Down stops a slot's instances after its in-flight requests finished (or the
// drain timeout passed). The live slot is never stopped.
func (c *Controller) Down(ctx context.Context, req DownRequest) (res *DownResult, err error) {
	started := time.Now()
	entry := state.Entry{Actor: req.Actor, Op: "down", Service: req.Service, Slot: req.Slot}
	defer func() { c.record(entry, started, err) }()
	s, err := c.service(req.Service)
	if err != nil {
		return nil, err
	}
	if _, err := s.slotConfig(req.Slot); err != nil {
		return nil, err
	}
	release, err := s.busy.acquire(s.conf().Name, "down "+req.Slot, req.Actor)
	if err != nil {
		return nil, err
	}
	defer release()
	if c.view().Service(s.conf().Name).Live == req.Slot {
		return nil, errorf(KindRefused, fmt.Sprintf("switch %s to another slot first", s.conf().Name),
			"slot %s is live for %s: stopping it would take the site down", req.Slot, s.conf().Name)
	}
	res = &DownResult{Service: s.conf().Name, Slot: req.Slot}
	run := s.run(req.Slot)
	if run == nil {
		res.Already, res.Drain = true, proxy.DrainResult{Slot: req.Slot, Drained: true}
		return res, c.markStopped(s.conf().Name, req.Slot)
	}
	res.Drain, err = c.stopSlot(ctx, s, run)
	if !res.Drain.Drained {
		entry.Detail = fmt.Sprintf("%d requests were cut at the drain timeout", res.Drain.Remaining)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// stopSlot ends a slot that is not live: its requests get the drain timeout
// to finish, then its processes stop and the state says so.
func (c *Controller) stopSlot(ctx context.Context, s *service, run *slotRun) (proxy.DrainResult, error) {
	dctx, cancel := context.WithTimeout(ctx, s.conf().DrainTimeout)
	drain := c.proxy.WaitIdle(dctx, s.conf().Name, run.name)
	cancel()
	c.stopJobsOf(ctx, s, run.name)
	if err := run.stop(ctx); err != nil {
		return drain, errorf(KindFailed, "see the instance logs; run deploy down again", "stop %s slot %s: %v", s.conf().Name, run.name, err)
	}
	s.setRun(run.name, nil)
	// The preview moves off the stopped slot first: the proxy keeps the pool
	// of a slot it still routes to.
	c.refreshPreview(s)
	c.proxy.Forget(s.conf().Name, run.name)
	return drain, c.markStopped(s.conf().Name, run.name)
}

func (c *Controller) markStopped(service, slot string) error {
	return c.update(func(snap *state.Snapshot) {
		svc := snap.Service(service)
		if st := svc.Slots[slot]; st != nil {
			st.Status, st.Instances, st.Reason = state.SlotStopped, nil, ""
		}
	})
}
