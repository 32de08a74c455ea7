package orchestrator

import (
	"context"
	"fmt"
	"sync"
	"time"

	"deploy/checks"
)

// How a release watches its new slot: the proxy's counters are cheap, so
// they are read often and a failing slot is rolled back before many visitors
// see it; checks cost requests, so they repeat less often.
const (
	watchTick       = 25 * time.Millisecond
	watchCheckEvery = 5 * time.Second
	watchReportEach = 5 * time.Second
)

// WatchReport is what the watch after a release's switch saw.
type WatchReport struct {
	WindowMS  int64   `json:"window_ms"`
	WatchedMS int64   `json:"watched_ms"`
	Requests  uint64  `json:"requests"`
	Errors    uint64  `json:"errors"` // 5xx answers and connection errors
	ErrorRate float64 `json:"error_rate"`
	ChecksRun int     `json:"checks_run"`
	// Breach says why the watch rolled back; "" when it did not.
	Breach string `json:"breach,omitempty"`
	// Interrupted is true when an operator's switch or rollback took over.
	Interrupted bool `json:"interrupted,omitempty"`
}

// watchAndRollBack watches the new slot for the window and rolls back to
// previous on a breach. An operator's switch or rollback interrupts it.
func (c *Controller) watchAndRollBack(ctx context.Context, s *service, slot, previous string, req ReleaseRequest, res *ReleaseResult, window time.Duration) error {
	step := stepper(ctx)
	if window <= 0 {
		step(stepWatch, StepSkipped, "no watch window")
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Two operators may interrupt at once: close only once.
	interrupted := make(chan struct{})
	var once sync.Once
	stop := s.busy.interruptible(func() {
		once.Do(func() { close(interrupted) })
		cancel()
	})
	step(stepWatch, StepRunning, "watching slot %s for %s (rollback when error rate > %.1f%% over at least %d requests, or a check fails)",
		slot, window, s.conf().RollbackWhen.ErrorRate*100, s.conf().RollbackWhen.MinRequests)
	rep := c.watch(wctx, s, slot, window)
	stop()
	res.Watch = &rep
	select {
	case <-interrupted:
		rep.Interrupted = true
		step(stepWatch, StepFailed, "interrupted by an operator's switch or rollback")
		return errorf(KindFailed, "deploy status and deploy history show what the operator did",
			"release %s went live on %s, but an operator's switch or rollback interrupted its watch", res.Release, slot)
	default:
	}
	if rep.Breach == "" {
		step(stepWatch, StepOK, "%d requests, %d errors in %s", rep.Requests, rep.Errors, window)
		return nil
	}
	step(stepWatch, StepFailed, "%s", rep.Breach)
	if previous == "" || s.run(previous) == nil {
		return errorf(KindFailed, "fix the release and release again, or switch by hand",
			"release %s misbehaved on %s (%s), and there is no warm slot to roll back to", res.Release, slot, rep.Breach)
	}
	step(stepRollback, StepRunning, "rolling back to %s", previous)
	drain, swres, err := c.rollBackRelease(context.WithoutCancel(ctx), s, previous, rep.Breach, req)
	if err != nil {
		step(stepRollback, StepFailed, "%v", err)
		return errorf(KindFailed, "roll back by hand: deploy rollback "+s.conf().Name,
			"release %s misbehaved on %s (%s), and the automatic rollback failed: %v", res.Release, slot, rep.Breach, err)
	}
	c.finishSwitch(context.WithoutCancel(ctx), s, swres, drain)
	step(stepRollback, StepOK, "%s is live again", previous)
	return errorf(KindRolledBack, fmt.Sprintf("slot %s keeps running with %s for a look through the preview route", slot, res.Release),
		"release %s was rolled back to %s: %s", res.Release, previous, rep.Breach)
}

// watch follows the slot's error rate from the proxy's counters, its crash
// loops and its checks until the window ends or a breach.
func (c *Controller) watch(ctx context.Context, s *service, slot string, window time.Duration) WatchReport {
	rep := WatchReport{WindowMS: window.Milliseconds()}
	name := s.conf().Name
	rule := s.conf().RollbackWhen
	base := c.proxy.SlotStats(name, slot)
	run := s.run(slot)
	started := time.Now()
	end := time.NewTimer(window)
	defer end.Stop()
	tick := time.NewTicker(watchTick)
	defer tick.Stop()
	nextCheck, nextReport := started.Add(watchCheckEvery), started.Add(watchReportEach)
	step := stepper(ctx)
	measure := func() {
		now := c.proxy.SlotStats(name, slot)
		rep.Requests = now.Requests - base.Requests
		rep.Errors = (now.Responses5xx - base.Responses5xx) + (now.ConnErrors - base.ConnErrors)
		if rep.Requests > 0 {
			rep.ErrorRate = float64(rep.Errors) / float64(rep.Requests)
		}
		rep.WatchedMS = time.Since(started).Milliseconds()
	}
	for {
		select {
		case <-ctx.Done():
			measure()
			return rep
		case <-end.C:
			measure()
			return rep
		case <-run.anyFailed():
			measure()
			rep.Breach = "an instance is crash-looping: " + run.failure()
			return rep
		case now := <-tick.C:
			measure()
			if rep.Requests >= uint64(rule.MinRequests) && rep.ErrorRate > rule.ErrorRate {
				rep.Breach = fmt.Sprintf("error rate %.1f%% (%d of %d requests) is above rollback_when.error_rate %.1f%%",
					rep.ErrorRate*100, rep.Errors, rep.Requests, rule.ErrorRate*100)
				return rep
			}
			if now.After(nextReport) {
				nextReport = now.Add(watchReportEach)
				step(stepWatch, StepInfo, "%d requests, %d errors after %s", rep.Requests, rep.Errors, time.Since(started).Round(time.Second))
			}
			if len(s.conf().Checks) > 0 && now.After(nextCheck) {
				rep.ChecksRun++
				results := c.runChecks(ctx, s, run, c.placeOfSlot(s, slot), true)
				nextCheck = time.Now().Add(watchCheckEvery)
				if ctx.Err() != nil {
					continue
				}
				if failed := checks.Failed(results); len(failed) > 0 {
					measure()
					rep.Breach = "a check failed: " + checks.Summary(results)
					return rep
				}
			}
		}
	}
}

// placeOfSlot is where a running slot's stack is.
func (c *Controller) placeOfSlot(s *service, slot string) stackPlace {
	if rec := c.view().Service(s.conf().Name).Slots[slot]; rec != nil {
		return c.placeOf(s.conf(), slot, rec)
	}
	return stackPlace{dir: s.conf().Stack.Dir, release: workdirRelease}
}
