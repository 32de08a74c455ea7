package orchestrator

import (
	"context"
	"errors"
	"fmt"

	"deploy/config"
	"deploy/stacks"
	"deploy/state"
)

// Restore brings the controller back to what the state remembers: it adopts
// the instance processes that survived (starting the ones that did not),
// probes them, and routes each service to its live slot again.
func (c *Controller) Restore(ctx context.Context) error {
	snap, err := c.store.Load()
	if err != nil {
		return err
	}
	c.snapMu.Lock()
	c.snap = snap
	c.snapMu.Unlock()
	// The database first: the slots' instances connect to it as they start.
	c.restoreZEOServers(ctx)

	for _, sc := range c.conf().Services {
		s := c.serviceMap()[sc.Name]
		st := snap.Service(sc.Name)
		for _, slot := range sc.Slots {
			rec := st.Slots[slot.Name]
			if rec == nil || (rec.Status != state.SlotRunning && rec.Status != state.SlotStarting) {
				continue
			}
			if err := c.restoreSlot(ctx, s, slot, rec); err != nil {
				c.log.Error("restore slot", "service", sc.Name, "slot", slot.Name, "err", err)
				continue
			}
		}
		if st.Maintenance != nil {
			if err := c.restoreMaintenance(s, st.Maintenance); err != nil {
				return err
			}
			c.log.Info("in maintenance", "service", sc.Name, "since", st.Maintenance.Since, "by", st.Maintenance.Actor)
		}
		c.refreshPreview(s)
		if st.Live == "" {
			continue
		}
		run := s.run(st.Live)
		if run == nil {
			c.log.Error("live slot is not running; the service answers 503 until a slot is switched to",
				"service", sc.Name, "slot", st.Live)
			continue
		}
		if _, err := c.proxy.Switch(sc.Name, run.backend()); err != nil {
			return fmt.Errorf("route %s to %s: %w", sc.Name, st.Live, err)
		}
		c.log.Info("serving", "service", sc.Name, "live", st.Live, "previous", st.Previous)
	}
	for _, sc := range c.conf().Services {
		c.restoreJobs(c.serviceMap()[sc.Name], snap.Service(sc.Name).Jobs)
	}
	// Certificates last: they are obtained in the background through the
	// proxy's listeners, which start serving as soon as Restore returns,
	// while restoring slots can take as long as their instances need.
	if c.certs != nil {
		c.certs.SetSites(certificateSites(c.conf()))
	}
	c.scheduleRestarts()
	return nil
}

// restoreSlot adopts or restarts each instance of a slot and waits until the
// slot is ready before it may be routed to.
func (c *Controller) restoreSlot(ctx context.Context, s *service, slot config.Slot, rec *state.Slot) error {
	known := map[int]state.Instance{}
	for _, in := range rec.Instances {
		known[in.Index] = in
	}
	place := c.placeOf(s.conf(), slot.Name, rec)
	var instances []*stacks.Instance
	for n := 1; n <= s.conf().Instances; n++ {
		spec := c.instanceSpec(s.conf(), slot, n, place)
		err := c.driverOf(s).command(ctx, s, slot, place, &spec)
		var in *stacks.Instance
		if err == nil {
			in, err = c.adoptOrStart(spec, known[n], c.instanceOptions(s, slot.Name, n))
		}
		if err != nil {
			c.newSlotRun(s, slot.Name, instances).stop(ctx)
			return err
		}
		instances = append(instances, in)
	}
	if err := c.update(func(snap *state.Snapshot) {
		st := snap.Service(s.conf().Name).Slots[slot.Name]
		st.Instances = st.Instances[:0]
		for _, in := range instances {
			id := in.Process()
			st.Instances = append(st.Instances, state.Instance{Index: in.Spec().Index, Port: in.Spec().Port, PID: id.PID, StartTime: id.StartTime})
		}
	}); err != nil {
		return err
	}
	run := c.newSlotRun(s, slot.Name, instances)
	rctx, cancel := context.WithTimeout(ctx, s.conf().Stack.Ready.Timeout)
	defer cancel()
	if err := run.waitReady(rctx); err != nil {
		// Keep supervising: the processes may come good, and the status shows
		// the failing probe. Routing waits for nobody.
		c.log.Warn("restored slot is not ready", "service", s.conf().Name, "slot", slot.Name, "err", err)
	}
	s.setRun(slot.Name, run)
	run.startProbing()
	go c.watchFailures(s, run)
	return nil
}

func (c *Controller) adoptOrStart(spec stacks.InstanceSpec, rec state.Instance, opts stacks.Options) (*stacks.Instance, error) {
	if rec.PID > 0 {
		in, err := stacks.Adopt(spec, stacks.ProcessID{PID: rec.PID, StartTime: rec.StartTime}, opts)
		if err == nil {
			return in, nil
		}
		if !errors.Is(err, stacks.ErrGone) {
			return nil, err
		}
		c.log.Info("instance is gone; starting it again", "service", spec.Service, "slot", spec.Slot, "instance", spec.Index)
	}
	return stacks.Start(spec, opts)
}

// Shutdown ends supervision. With stopStacks the instances are stopped (the
// state still says which slots should run, so the next controller starts
// them again); without it they keep running for the next controller to adopt.
func (c *Controller) Shutdown(ctx context.Context, stopStacks bool) {
	for _, s := range c.serviceMap() {
		s.mu.Lock()
		runs := make([]*slotRun, 0, len(s.slots))
		for _, r := range s.slots {
			runs = append(runs, r)
		}
		s.mu.Unlock()
		c.endJobs(ctx, s, stopStacks)
		for _, r := range runs {
			if !stopStacks {
				r.detach()
				continue
			}
			if err := r.stop(ctx); err != nil {
				c.log.Error("stop slot", "service", s.conf().Name, "slot", r.name, "err", err)
			}
		}
	}
	c.stopSchedules()
	c.shutdownZEOServers(ctx, stopStacks)
	c.parts.host.Close()
	if c.certs != nil {
		c.certs.Stop()
	}
	c.closeAccessLog()
}
