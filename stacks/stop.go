package stacks

import (
	"context"
	"fmt"
	"syscall"
	"time"
)

// Stop ends supervision (no restart after it), sends SIGTERM to the process
// group, waits up to grace, then sends SIGKILL to the group. It returns when
// the process and the rest of its group are gone, or with an error when ctx
// ends first (supervision stays ended; Stop may be called again). It works for
// adopted processes and after Detach too; with no process running (a failed
// instance, say) it only ends supervision and returns at once.
func (i *Instance) Stop(ctx context.Context, grace time.Duration) error {
	i.stopMu.Lock()
	defer i.stopMu.Unlock()
	if err := i.halt(ctx); err != nil {
		return fmt.Errorf("stop %s: %w", i.spec.name(), err)
	}
	i.mu.Lock()
	p := i.cur
	i.mu.Unlock()
	if p.id.PID == 0 {
		return nil
	}
	status, err := p.terminate(ctx, grace)
	if err != nil {
		return fmt.Errorf("stop %s (pid %d): %w", i.spec.name(), p.id.PID, err)
	}
	i.mu.Lock()
	i.cur, i.lastExit, i.adopted = proc{}, status, false
	i.mu.Unlock()
	i.log.Info("instance stopped", "pid", p.id.PID, "status", status)
	return nil
}

// Detach ends supervision and leaves the process running, for a controller
// that shuts down without stopping its stacks; a later controller adopts the
// process with Adopt. It returns once the supervising goroutine has ended.
func (i *Instance) Detach() {
	_ = i.halt(context.Background())
	i.mu.Lock()
	pid := i.cur.id.PID
	i.mu.Unlock()
	i.log.Info("instance detached", "pid", pid)
}

// halt ends supervision and waits until the supervising goroutine has
// returned, so that from then on nobody else touches the process. The wait is
// short: at most one poll interval, or one process start.
func (i *Instance) halt(ctx context.Context) error {
	i.quitOnce.Do(func() { close(i.quit) })
	select {
	case <-i.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// terminate asks p's group to exit, waits up to grace, then kills it. It
// returns once the leader is reaped (or gone) and no live member of its group
// is left, with the leader's exit status when known.
func (p proc) terminate(ctx context.Context, grace time.Duration) (string, error) {
	e := &ending{p: p}
	if err := e.signal(syscall.SIGTERM); err != nil {
		return "", err
	}
	// A stopped process would keep SIGTERM pending forever.
	if err := e.signal(syscall.SIGCONT); err != nil {
		return "", err
	}
	graceCtx, cancel := context.WithTimeout(ctx, grace)
	err := e.wait(graceCtx)
	cancel()
	if err == nil {
		return e.status, nil
	}
	if ctx.Err() != nil {
		return e.status, ctx.Err()
	}
	if err := e.signal(syscall.SIGKILL); err != nil {
		return e.status, err
	}
	return e.status, e.wait(ctx)
}

// ending follows a process group through its termination.
type ending struct {
	p          proc
	leaderDone bool
	status     string
}

func (e *ending) signal(sig syscall.Signal) error {
	// Without a group, a reaped leader's PID may already be someone else's.
	if e.leaderDone && e.p.pgid == 0 {
		return nil
	}
	return e.p.signal(sig)
}

// wait polls until the leader is reaped or gone and its group is empty.
func (e *ending) wait(ctx context.Context) error {
	t := time.NewTicker(stopPollInterval)
	defer t.Stop()
	for {
		if !e.leaderDone {
			switch e.p.liveness() {
			case zombie:
				e.status, e.leaderDone = e.p.reap()
			case gone:
				e.status, e.leaderDone = statusUnknown, true
			}
		}
		if e.leaderDone && e.p.groupEmpty() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
