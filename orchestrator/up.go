package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"deploy/config"
	"deploy/stacks"
	"deploy/state"
)

// logLinesOnFailure is how much of a failing instance's log an error shows.
const logLinesOnFailure = 10

// UpRequest asks to start a service's stack in a slot.
type UpRequest struct {
	Service string `json:"-"`
	Slot    string `json:"slot"`
	// Release names a built release to unpack into a fresh stack directory;
	// empty runs the configured stack directory as it is.
	Release string `json:"release,omitempty"`
	Actor   string `json:"-"`
}

// UpResult says what started.
type UpResult struct {
	Service   string `json:"service"`
	Slot      string `json:"slot"`
	Release   string `json:"release"`
	StackDir  string `json:"stack_dir"`
	Ports     []int  `json:"ports"`
	Restarted bool   `json:"restarted"`
	TookMS    int64  `json:"took_ms"`
}

// Up starts the stack in a slot and waits until every instance is ready. A
// slot that already runs is replaced, unless it is live; the live slot may
// only be started when it is not running (the maintenance path stopped it).
func (c *Controller) Up(ctx context.Context, req UpRequest) (res *UpResult, err error) {
	started := time.Now()
	defer func() {
		c.record(state.Entry{Actor: req.Actor, Op: "up", Service: req.Service, Slot: req.Slot, To: req.Release, Release: req.Release}, started, err)
	}()
	s, err := c.service(req.Service)
	if err != nil {
		return nil, err
	}
	slot, err := s.slotConfig(req.Slot)
	if err != nil {
		return nil, err
	}
	release, err := s.busy.acquire(s.conf().Name, "up "+slot.Name, req.Actor)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := c.refuseSideBySide(s, slot.Name, req.Release); err != nil {
		return nil, err
	}
	return c.up(ctx, s, slot, req.Release, nil)
}

// up replaces whatever runs in the slot with the release (the configured
// stack dir when release is ""), and waits until it is ready. beforeStart,
// when set, runs after the stack is in place and before any instance starts
// (the migration of a release that needs one). Callers hold the busy lock.
func (c *Controller) up(ctx context.Context, s *service, slot config.Slot, releaseID string, beforeStart func(stackPlace) error) (*UpResult, error) {
	started := time.Now()
	live := c.view().Service(s.conf().Name).Live == slot.Name
	if live && s.run(slot.Name) != nil {
		return nil, errorf(KindRefused, fmt.Sprintf("bring up another slot and switch to it first (deploy switch %s --to OTHER)", s.conf().Name),
			"slot %s is live for %s: restarting it would take the site down", slot.Name, s.conf().Name)
	}
	if err := c.probeServiceZEO(ctx, s); err != nil {
		return nil, err
	}
	restarted := false
	if old := s.run(slot.Name); old != nil {
		if _, err := c.stopSlot(ctx, s, old); err != nil {
			return nil, err
		}
		restarted = true
	}
	if err := portsFree(slot.Ports(s.conf().Instances)); err != nil {
		return nil, errorf(KindRefused, "stop whatever holds the port, or give the slot another base_port", "cannot start %s slot %s: %v", s.conf().Name, slot.Name, err)
	}

	st := stackPlace{dir: s.conf().Stack.Dir, release: workdirRelease}
	if releaseID != "" {
		defer c.reserve(releaseID, s.conf().Name+"/"+slot.Name)()
		dir, err := c.unpack(ctx, s.conf().Name, slot.Name, releaseID)
		if err != nil {
			return nil, err
		}
		st = stackPlace{dir: dir, release: releaseID}
	}
	if err := c.render(ctx, s, slot, st); err != nil {
		return nil, err
	}
	if beforeStart != nil {
		if err := beforeStart(st); err != nil {
			return nil, err
		}
	}
	run, err := c.startSlot(ctx, s, slot, st)
	if err != nil {
		return nil, err
	}
	if live {
		// The live slot was stopped (the maintenance path stops it); its
		// route comes back with it.
		if _, err := c.proxy.Switch(s.conf().Name, run.backend()); err != nil {
			return nil, errorf(KindFailed, "", "route %s to %s again: %v", s.conf().Name, slot.Name, err)
		}
		c.syncJobs(s)
	}
	c.retireStackDirs(s.conf().Name, slot.Name, st.release)
	c.refreshPreview(s)
	return &UpResult{
		Service: s.conf().Name, Slot: slot.Name, Release: st.release, StackDir: st.dir,
		Ports: slot.Ports(s.conf().Instances), Restarted: restarted,
		TookMS: time.Since(started).Milliseconds(),
	}, nil
}

// startSlot starts every instance, waits until all are ready, and records the
// slot as running; on failure nothing of the slot is left running.
func (c *Controller) startSlot(ctx context.Context, s *service, slot config.Slot, st stackPlace) (*slotRun, error) {
	name := s.conf().Name
	err := c.update(func(snap *state.Snapshot) {
		rec := &state.Slot{Status: state.SlotStarting, Release: st.release, StartedAt: time.Now().UTC()}
		for n := 1; n <= s.conf().Instances; n++ {
			rec.Instances = append(rec.Instances, state.Instance{Index: n, Port: slot.Port(n)})
		}
		svc := snap.Service(name)
		svc.Slots[slot.Name] = rec
		if svc.Previous == slot.Name {
			// The warm stack a rollback would return to is gone.
			svc.Previous = ""
		}
	})
	if err != nil {
		return nil, err
	}
	var instances []*stacks.Instance
	for n := 1; n <= s.conf().Instances; n++ {
		spec := c.instanceSpec(s.conf(), slot, n, st)
		err := c.driverOf(s).command(ctx, s, slot, st, &spec)
		var in *stacks.Instance
		if err == nil {
			in, err = stacks.Start(spec, c.instanceOptions(s, slot.Name, n))
		}
		if err != nil {
			c.abandon(ctx, s, slot.Name, c.newSlotRun(s, slot.Name, instances), err.Error())
			return nil, errorf(KindFailed, "check the stack's command and dir in the config",
				"start instance %d of %s slot %s: %v", n, name, slot.Name, err)
		}
		instances = append(instances, in)
	}
	run := c.newSlotRun(s, slot.Name, instances)

	// A crash loop ends the wait at once instead of at the ready timeout.
	rctx, cancel := context.WithTimeout(ctx, s.conf().Stack.Ready.Timeout)
	defer cancel()
	go func() {
		select {
		case <-run.anyFailed():
			cancel()
		case <-rctx.Done():
		}
	}()
	if err := run.waitReady(rctx); err != nil {
		if failed := run.failure(); failed != "" {
			err = errors.New(failed)
		}
		c.abandon(ctx, s, slot.Name, run, err.Error())
		return nil, readyFailure(name, slot.Name, s.conf().Stack.Ready.Timeout, err)
	}
	if err := c.update(func(snap *state.Snapshot) {
		snap.Service(name).Slots[slot.Name].Status = state.SlotRunning
	}); err != nil {
		c.abandon(ctx, s, slot.Name, run, err.Error())
		return nil, err
	}
	s.setRun(slot.Name, run)
	// A pool the proxy kept for these addresses may remember the previous
	// processes' verdicts; the new ones start in rotation.
	for _, addr := range run.addrs() {
		c.proxy.SetInstanceHealth(name, slot.Name, addr, true)
	}
	run.startProbing()
	go c.watchFailures(s, run)
	return run, nil
}

// abandon stops what a failed start left running and records why it failed.
func (c *Controller) abandon(ctx context.Context, s *service, slot string, run *slotRun, reason string) {
	if err := run.stop(context.WithoutCancel(ctx)); err != nil {
		c.log.Error("stop failed slot", "service", s.conf().Name, "slot", slot, "err", err)
	}
	err := c.update(func(snap *state.Snapshot) {
		st := snap.Service(s.conf().Name).Slots[slot]
		if st != nil {
			st.Status, st.Reason, st.Instances = state.SlotFailed, reason, nil
		}
	})
	if err != nil {
		c.log.Error("record failed slot", "service", s.conf().Name, "slot", slot, "err", err)
	}
}

// readyFailure explains a slot that did not become ready, with the end of
// the failing instance's log.
func readyFailure(service, slot string, timeout time.Duration, err error) *Error {
	msg := fmt.Sprintf("%s slot %s did not become ready (ready timeout %s): %v", service, slot, timeout, err)
	var re *readyError
	if errors.As(err, &re) {
		if lines := re.instance.LastLogLines(logLinesOnFailure); len(lines) > 0 {
			msg += "\nlast lines of " + re.instance.Spec().LogPath + ":\n  " + strings.Join(lines, "\n  ")
		}
	}
	return &Error{Kind: KindFailed, Message: msg, Hint: "fix the stack and run deploy up again; the slot was stopped"}
}

// portsFree checks that nothing listens on a slot's ports already: a stray
// process there would answer the readiness probe in the slot's place.
func portsFree(ports []int) error {
	for _, p := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return fmt.Errorf("port %d is already in use", p)
		}
		ln.Close()
	}
	return nil
}
