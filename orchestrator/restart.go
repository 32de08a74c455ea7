package orchestrator

import (
	"context"
	"fmt"
	"strings"
	"time"

	"deploy/stacks"
	"deploy/state"
)

// Restart modes, as results and history name them.
const (
	restartRolling = "rolling"
	restartViaIdle = "via idle slot"
)

// RestartRequest asks to restart a service's live slot without failing a
// request: instance by instance, or through the idle slot when there is
// only one instance.
type RestartRequest struct {
	Service string `json:"-"`
	Reason  string `json:"reason,omitempty"`
	Actor   string `json:"-"`
}

// RestartResult says how the live slot was restarted.
type RestartResult struct {
	Service string `json:"service"`
	Mode    string `json:"mode"`
	// Slot is the slot restarted in place (rolling), or the one now live
	// (via the idle slot).
	Slot      string              `json:"slot"`
	Release   string              `json:"release"`
	Instances []RestartedInstance `json:"instances,omitempty"`
	Switch    *SwitchResult       `json:"switch,omitempty"`
	TookMS    int64               `json:"took_ms"`
}

// RestartedInstance is one instance of a rolling restart.
type RestartedInstance struct {
	Index  int    `json:"index"`
	Addr   string `json:"addr"`
	OldPID int    `json:"old_pid"`
	NewPID int    `json:"new_pid"`
	// Unfinished counts the requests it was still answering when the
	// drain timeout passed; they were cut by the restart.
	Unfinished int64 `json:"unfinished,omitempty"`
	TookMS     int64 `json:"took_ms"`
}

// Restart restarts the service's live slot under its busy lock.
func (c *Controller) Restart(ctx context.Context, req RestartRequest) (res *RestartResult, err error) {
	started := time.Now()
	entry := state.Entry{Actor: req.Actor, Op: "restart", Service: req.Service, Reason: req.Reason}
	defer func() {
		if res != nil {
			entry.Slot, entry.Release, entry.Detail = res.Slot, res.Release, res.detail()
			if res.Switch != nil {
				entry.From, entry.To, entry.Checks = res.Switch.From, res.Switch.To, res.Switch.Checks
			}
		}
		c.record(entry, started, err)
	}()
	s, err := c.service(req.Service)
	if err != nil {
		return nil, err
	}
	release, err := s.busy.acquire(s.conf().Name, "restart", req.Actor)
	if err != nil {
		return nil, err
	}
	defer release()
	live := c.view().Service(s.conf().Name).Live
	run := s.run(live)
	if live == "" || run == nil {
		return nil, errorf(KindRefused, "deploy status shows the slots; a live slot is restarted, an idle one is started again with deploy up",
			"%s has no running live slot to restart", s.conf().Name)
	}
	res = &RestartResult{Service: s.conf().Name, Release: c.placeOfSlot(s, live).release}
	if len(run.instances) > 1 {
		res.Mode, res.Slot = restartRolling, live
		err = c.restartRolling(ctx, s, run, req, res)
	} else {
		res.Mode = restartViaIdle
		err = c.restartViaIdle(ctx, s, live, req, res)
	}
	res.TookMS = time.Since(started).Milliseconds()
	return res, err
}

// restartRolling restarts the instances one at a time, so that all but one
// always serve: out of rotation, its requests answered, recycled, ready,
// checked, back in rotation. A failing instance stops the restart and stays
// out of rotation, where it cannot fail a visitor.
func (c *Controller) restartRolling(ctx context.Context, s *service, run *slotRun, req RestartRequest, res *RestartResult) error {
	name := s.conf().Name
	step := stepper(ctx)
	for i, in := range run.instances {
		started := time.Now()
		addr := run.addr(i)
		ri := RestartedInstance{Index: in.Spec().Index, Addr: addr, OldPID: in.Process().PID}
		step("instance "+fmt.Sprint(ri.Index), StepRunning, "taking %s out of rotation", addr)
		if err := c.proxy.SetInstanceDraining(name, run.name, addr, true); err != nil {
			return errorf(KindFailed, "nothing was restarted", "restart %s: %v", name, err)
		}
		dctx, cancel := context.WithTimeout(ctx, s.conf().DrainTimeout)
		ri.Unfinished, _ = c.proxy.WaitInstanceIdle(dctx, name, run.name, addr)
		cancel()
		if err := c.recycleInstance(ctx, s, run, i); err != nil {
			step("instance "+fmt.Sprint(ri.Index), StepFailed, "%v", err)
			return errorf(KindFailed, fmt.Sprintf("instance %d stays out of rotation while the others serve; deploy logs %s shows why", ri.Index, name),
				"restart of %s stopped at instance %d: %v", name, ri.Index, err)
		}
		ri.NewPID, ri.TookMS = in.Process().PID, time.Since(started).Milliseconds()
		res.Instances = append(res.Instances, ri)
		if err := c.proxy.SetInstanceDraining(name, run.name, addr, false); err != nil {
			return errorf(KindFailed, "", "restart %s: put instance %d back: %v", name, ri.Index, err)
		}
		step("instance "+fmt.Sprint(ri.Index), StepOK, "pid %d → %d, back in rotation", ri.OldPID, ri.NewPID)
	}
	c.log.Info("restarted", "service", name, "slot", run.name, "mode", restartRolling, "instances", len(res.Instances), "reason", req.Reason)
	return nil
}

// recycleInstance replaces one instance's process and waits until the new
// one is ready and the slot passes its checks.
func (c *Controller) recycleInstance(ctx context.Context, s *service, run *slotRun, i int) error {
	in := run.instances[i]
	if err := in.Recycle(ctx, s.conf().Stack.Grace); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, s.conf().Stack.Ready.Timeout)
	defer cancel()
	if err := stacks.WaitReady(rctx, in.Spec().Port, run.readyPath); err != nil {
		return fmt.Errorf("not ready after its restart: %w", err)
	}
	run.markReady(i)
	if rep := c.checkSlot(ctx, s, run); !rep.OK {
		return fmt.Errorf("checks failed after its restart: %s", rep.Summary)
	}
	return nil
}

// restartViaIdle brings the live release up in the idle slot, checks it and
// switches to it: with one instance, that is the only way to restart it
// without a gap. The slot that was live keeps running, as after any switch.
func (c *Controller) restartViaIdle(ctx context.Context, s *service, live string, req RestartRequest, res *RestartResult) error {
	idle, err := c.idleSlot(s)
	if err != nil {
		return err
	}
	releaseID := res.Release
	if releaseID == workdirRelease {
		releaseID = ""
	}
	res.Slot = idle.Name
	step := stepper(ctx)
	step(stepUp, StepRunning, "starting %s in slot %s", res.Release, idle.Name)
	if _, err := c.up(ctx, s, idle, releaseID, nil); err != nil {
		step(stepUp, StepFailed, "%v", err)
		return err
	}
	step(stepUp, StepOK, "slot %s is ready", idle.Name)
	reason := "restart"
	if req.Reason != "" {
		reason += ": " + req.Reason
	}
	drain, swres, err := c.swap(ctx, s, "switch", SwitchRequest{Service: s.conf().Name, To: idle.Name, Reason: reason, Actor: req.Actor})
	if err != nil {
		step(stepSwitch, StepFailed, "%v", err)
		return err
	}
	res.Switch = swres
	c.finishSwitch(ctx, s, swres, drain)
	step(stepSwitch, StepOK, "%s is live on %s; %s keeps running for a rollback", res.Release, idle.Name, live)
	c.log.Info("restarted", "service", s.conf().Name, "from", live, "to", idle.Name, "mode", restartViaIdle, "reason", req.Reason)
	return nil
}

// detail is what history says of a restart.
func (r *RestartResult) detail() string {
	if r.Mode == restartViaIdle {
		return restartViaIdle
	}
	var pids []string
	for _, in := range r.Instances {
		pids = append(pids, fmt.Sprintf("#%d %d→%d", in.Index, in.OldPID, in.NewPID))
	}
	return restartRolling + ": " + strings.Join(pids, ", ")
}
