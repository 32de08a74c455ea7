package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"deploy/state"
)

// beginDrain asks a job that no longer runs from the live slot to finish
// its work, and stops it once its drain condition holds or its timeout
// passes; the hand-over is recorded in the history either way. Callers
// hold jobsMu.
func (c *Controller) beginDrain(s *service, jr *jobRun, live string) {
	ctx, cancel := context.WithCancel(context.Background())
	jr.draining, jr.drainSince, jr.cancelDrain = true, time.Now(), cancel
	if sig := jr.cfg.Drain.Signal; sig != 0 {
		if err := jr.inst.Signal(sig); err != nil {
			c.log.Warn("signal draining job", "service", s.conf().Name, "job", jr.cfg.Name, "signal", sig, "err", err)
		}
	}
	c.log.Info("job draining", "service", s.conf().Name, "job", jr.cfg.Name, "slot", jr.slot, "live", live)
	go c.finishDrain(ctx, s, jr, live)
}

// finishDrain waits for the drain condition and stops the job. A drain
// cancelled because the job's slot became live again stops nothing.
func (c *Controller) finishDrain(ctx context.Context, s *service, jr *jobRun, live string) {
	started := time.Now()
	d := jr.cfg.Drain
	tctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	tick := time.NewTicker(d.Interval)
	defer tick.Stop()
	var pending string
	for done := false; !done && tctx.Err() == nil; {
		if done, pending = c.drained(tctx, s, jr); !done {
			select {
			case <-tctx.Done():
			case <-tick.C:
			}
		}
	}
	if ctx.Err() != nil {
		return // live again: see syncJobs
	}
	s.jobsMu.Lock()
	if !jr.draining {
		s.jobsMu.Unlock()
		return
	}
	s.jobs = slices.DeleteFunc(s.jobs, func(o *jobRun) bool { return o == jr })
	c.saveJobs(s)
	s.jobsMu.Unlock()

	var err error
	detail := fmt.Sprintf("%s handed over from %s to %s: drained in %s", jr.cfg.Name, jr.slot, live, time.Since(started).Round(time.Millisecond))
	if pending != "" {
		detail = fmt.Sprintf("%s handed over from %s to %s: stopped at the drain timeout (%s) with work left: %s", jr.cfg.Name, jr.slot, live, d.Timeout, pending)
		err = errorf(KindFailed, "the old job's unfinished work is in its stack dir", "job %s of %s was stopped at its drain timeout with work left", jr.cfg.Name, s.conf().Name)
	}
	if serr := jr.inst.Stop(context.Background(), jr.cfg.Grace); serr != nil && err == nil {
		err = serr
	}
	c.log.Info("job handed over", "service", s.conf().Name, "detail", detail)
	c.record(state.Entry{Actor: "controller", Op: "job", Service: s.conf().Name, Slot: jr.slot, From: jr.slot, To: live,
		Release: jr.release, Detail: detail}, started, err)
}

// drained tells whether the job's drain condition holds, and when it does
// not, what work is left.
func (c *Controller) drained(ctx context.Context, s *service, jr *jobRun) (bool, string) {
	d := jr.cfg.Drain
	switch {
	case d.FileEmpty != "":
		return fileEmpty(filepath.Join(jr.dir, d.FileEmpty))
	case d.Command != nil:
		cctx, cancel := context.WithTimeout(ctx, max(d.Interval, time.Second))
		defer cancel()
		cmd := groupCommand(cctx, d.Command, jr.dir)
		cmd.Env = append(os.Environ(), "SERVICE="+s.conf().Name, "SLOT="+jr.slot, "RELEASE="+jr.release, "JOB="+jr.cfg.Name)
		if err := cmd.Run(); err != nil {
			return false, fmt.Sprintf("%v: %v", d.Command, err)
		}
		return true, ""
	default:
		return true, ""
	}
}

// fileEmpty holds when path is missing, an empty file, or a directory tree
// whose files are all empty (a mail spool whose messages were all sent; its
// lock files hold nothing).
func fileEmpty(path string) (bool, string) {
	var files int
	err := filepath.WalkDir(path, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		if info, err := e.Info(); err == nil && (!info.Mode().IsRegular() || info.Size() > 0) {
			files++
		}
		return nil
	})
	switch {
	case errors.Is(err, fs.ErrNotExist) && files == 0:
		return true, ""
	case err != nil:
		return false, err.Error()
	case files > 0:
		return false, fmt.Sprintf("%s holds %d files", path, files)
	}
	return true, ""
}
