package stacks

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotSupervised is returned by Recycle once supervision has ended.
var ErrNotSupervised = errors.New("instance is no longer supervised")

// recycleRequest asks the supervising goroutine, the only one that touches
// the process, to replace it.
type recycleRequest struct {
	grace time.Duration
	done  chan error // buffered: the supervisor never waits for the caller
}

// Recycle replaces the running process with a new one of the same spec:
// SIGTERM to its group, up to grace, SIGKILL, then a new start at once. It is
// planned, so it counts neither as a restart after an exit nor towards a
// crash loop. It returns once the new process has started (OnStart called),
// or with why it did not; supervision then goes on as after an exit. A
// process between restarts is not recycled: the request waits until one
// runs, or until ctx ends.
func (i *Instance) Recycle(ctx context.Context, grace time.Duration) error {
	req := recycleRequest{grace: grace, done: make(chan error, 1)}
	select {
	case i.recycle <- req:
	case <-i.done:
		return fmt.Errorf("recycle %s: %w", i.spec.name(), ErrNotSupervised)
	case <-ctx.Done():
		return fmt.Errorf("recycle %s: %w", i.spec.name(), ctx.Err())
	}
	// The supervisor answers within grace plus the kill: waiting for it
	// keeps "returned" meaning "the new process runs".
	return <-req.done
}

// replace ends the current process and starts its successor; it runs on
// the supervising goroutine. Without a successor it returns the old
// process's exit, to be handled like any other.
func (i *Instance) replace(req recycleRequest) (exit, bool) {
	i.mu.Lock()
	old, since := i.cur, i.since
	i.mu.Unlock()
	// Not bound by the caller's context: once begun, the old process is
	// ended for good, or its group would be left half-signalled.
	status, err := old.terminate(context.Background(), req.grace)
	if err != nil {
		req.done <- fmt.Errorf("recycle %s (pid %d): %w", i.spec.name(), old.id.PID, err)
		return exit{pid: old.id.PID, status: "recycle failed: " + err.Error(), uptime: time.Since(since)}, false
	}
	i.mu.Lock()
	i.cur, i.lastExit, i.adopted = proc{}, status, false
	i.mu.Unlock()
	p, err := spawn(i.spec)
	if err != nil {
		req.done <- fmt.Errorf("recycle %s: start: %w", i.spec.name(), err)
		return exit{pid: old.id.PID, status: "restart failed: " + err.Error(), uptime: time.Since(since)}, false
	}
	i.mu.Lock()
	i.cur, i.since = p, time.Now()
	i.mu.Unlock()
	i.log.Info("instance recycled", "old_pid", old.id.PID, "pid", p.id.PID, "old_status", status)
	if i.onStart != nil {
		i.onStart(p.id)
	}
	req.done <- nil
	return exit{}, true
}
