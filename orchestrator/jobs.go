package orchestrator

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"deploy/config"
	"deploy/stacks"
	"deploy/state"
)

// jobRun is one process of a singleton job, from one slot's release.
type jobRun struct {
	cfg     config.Job
	slot    string
	release string
	dir     string // the slot's stack dir, where drain conditions are read
	inst    *stacks.Instance

	// Guarded by the service's jobsMu.
	draining    bool
	drainSince  time.Time
	cancelDrain context.CancelFunc
}

// syncJobs makes the service's jobs follow its live slot: every configured
// job runs from the live slot's release, and a job left on another slot
// drains and then stops. A job draining on the slot that is live again (a
// quick rollback) simply stays. It is called whenever the live slot may
// have changed or stopped, and at restore.
func (c *Controller) syncJobs(s *service) {
	s.jobsMu.Lock()
	defer s.jobsMu.Unlock()
	if len(s.conf().Jobs) == 0 && len(s.jobs) == 0 {
		return // nothing to start or drain, and no state to write at each switch
	}
	live := c.view().Service(s.conf().Name).Live
	run := s.run(live)
	for _, j := range s.conf().Jobs {
		if run == nil {
			continue
		}
		if jr := s.jobOn(j.Name, live); jr != nil {
			if jr.draining {
				jr.cancelDrain()
				jr.draining, jr.drainSince, jr.cancelDrain = false, time.Time{}, nil
				c.log.Info("job stays: its slot is live again", "service", s.conf().Name, "job", j.Name, "slot", live)
			}
			continue
		}
		jr, err := c.startJob(s, j, live)
		if err != nil {
			c.record(state.Entry{Actor: "controller", Op: "job", Service: s.conf().Name, Slot: live, Detail: j.Name}, time.Now(), err)
			continue
		}
		s.jobs = append(s.jobs, jr)
	}
	for _, jr := range s.jobs {
		if jr.slot == live && s.conf().Job(jr.cfg.Name) != nil || jr.draining {
			continue
		}
		c.beginDrain(s, jr, live)
	}
	c.saveJobs(s)
}

// jobOn returns the job's process on slot, if any; callers hold jobsMu.
func (s *service) jobOn(name, slot string) *jobRun {
	for _, jr := range s.jobs {
		if jr.cfg.Name == name && jr.slot == slot {
			return jr
		}
	}
	return nil
}

// startJob starts a job from the slot's stack.
func (c *Controller) startJob(s *service, j config.Job, slot string) (*jobRun, error) {
	place := c.placeOfSlot(s, slot)
	jr := &jobRun{cfg: j, slot: slot, release: place.release, dir: place.dir}
	in, err := stacks.Start(c.jobSpec(s, jr), c.jobOptions(s))
	if err != nil {
		return nil, errorf(KindFailed, "see the job's log; it is started again at the next switch or controller start",
			"start job %s of %s from slot %s: %v", j.Name, s.conf().Name, slot, err)
	}
	jr.inst = in
	c.log.Info("job started", "service", s.conf().Name, "job", j.Name, "slot", slot, "release", place.release, "pid", in.Process().PID)
	return jr, nil
}

// jobSpec is how a job runs: in the slot's stack dir, with the stack's
// environment and its own, its var dir and log beside the instances'.
func (c *Controller) jobSpec(s *service, jr *jobRun) stacks.InstanceSpec {
	env := map[string]string{}
	maps.Copy(env, s.conf().Stack.Env)
	maps.Copy(env, jr.cfg.Env)
	base := c.slotDir(s.conf().Name, jr.slot)
	return stacks.InstanceSpec{
		Service: s.conf().Name, Slot: jr.slot, Index: 1, Job: jr.cfg.Name,
		Dir: jr.dir, Command: jr.cfg.Command, Env: env, Release: jr.release,
		VarDir:  filepath.Join(base, "var", "job-"+jr.cfg.Name),
		LogPath: filepath.Join(base, "log", "job-"+jr.cfg.Name+".log"),
	}
}

// jobOptions supervise a job like an instance; its new processes are
// recorded so that a restarted controller adopts the right one.
func (c *Controller) jobOptions(s *service) stacks.Options {
	// Started from OnStart, which may run while syncJobs holds jobsMu.
	return c.supervision(s, func(stacks.ProcessID) { go c.saveJobsLocked(s) })
}

// saveJobs records the service's job processes; callers hold jobsMu.
func (c *Controller) saveJobs(s *service) {
	jobs := make([]state.Job, 0, len(s.jobs))
	for _, jr := range s.jobs {
		id := jr.inst.Process()
		jobs = append(jobs, state.Job{Name: jr.cfg.Name, Slot: jr.slot, Release: jr.release,
			PID: id.PID, StartTime: id.StartTime, Draining: jr.draining})
	}
	err := c.update(func(snap *state.Snapshot) { snap.Service(s.conf().Name).Jobs = jobs })
	if err != nil {
		c.log.Error("record jobs", "service", s.conf().Name, "err", err)
	}
}

func (c *Controller) saveJobsLocked(s *service) {
	s.jobsMu.Lock()
	defer s.jobsMu.Unlock()
	c.saveJobs(s)
}

// stopJobsOf stops at once every job process of a slot that stops: its
// stack is about to go, so there is nothing to drain into.
func (c *Controller) stopJobsOf(ctx context.Context, s *service, slot string) {
	s.jobsMu.Lock()
	var stopping []*jobRun
	s.jobs = slices.DeleteFunc(s.jobs, func(jr *jobRun) bool {
		if jr.slot != slot {
			return false
		}
		if jr.cancelDrain != nil {
			jr.cancelDrain()
		}
		stopping = append(stopping, jr)
		return true
	})
	c.saveJobs(s)
	s.jobsMu.Unlock()
	for _, jr := range stopping {
		if err := jr.inst.Stop(ctx, jr.cfg.Grace); err != nil {
			c.log.Error("stop job", "service", s.conf().Name, "job", jr.cfg.Name, "slot", slot, "err", err)
		}
	}
}

// restoreJobs adopts the job processes the state remembers, on the slots
// that still run; syncJobs then starts what is missing and drains what is
// left on a slot that is no longer live.
func (c *Controller) restoreJobs(s *service, remembered []state.Job) {
	s.jobsMu.Lock()
	for _, rec := range remembered {
		j := s.conf().Job(rec.Name)
		if j == nil || s.run(rec.Slot) == nil || rec.PID == 0 {
			continue
		}
		place := c.placeOfSlot(s, rec.Slot)
		jr := &jobRun{cfg: *j, slot: rec.Slot, release: place.release, dir: place.dir}
		in, err := stacks.Adopt(c.jobSpec(s, jr), stacks.ProcessID{PID: rec.PID, StartTime: rec.StartTime}, c.jobOptions(s))
		if err != nil {
			if !errors.Is(err, stacks.ErrGone) {
				c.log.Error("adopt job", "service", s.conf().Name, "job", rec.Name, "err", err)
			}
			continue
		}
		jr.inst = in
		s.jobs = append(s.jobs, jr)
	}
	s.jobsMu.Unlock()
	c.syncJobs(s)
}

// endJobs lets go of the jobs for the next controller to adopt, or stops
// them with the stacks.
func (c *Controller) endJobs(ctx context.Context, s *service, stop bool) {
	s.jobsMu.Lock()
	defer s.jobsMu.Unlock()
	for _, jr := range s.jobs {
		if jr.cancelDrain != nil {
			jr.cancelDrain()
		}
		if !stop {
			jr.inst.Detach()
			continue
		}
		if err := jr.inst.Stop(ctx, jr.cfg.Grace); err != nil {
			c.log.Error("stop job", "service", s.conf().Name, "job", jr.cfg.Name, "err", err)
		}
	}
}
