package stacks

import (
	"time"

	"github.com/cenkalti/backoff/v5"
)

// exit is how one process ended.
type exit struct {
	pid    int
	status string
	uptime time.Duration
	// recycle is set when the process did not exit but is to be replaced.
	recycle *recycleRequest
}

// newBackOff is the restart policy: quick first retries for a one-off crash,
// slowing down to one attempt every 30s for a crash loop.
func newBackOff() *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     backoffInitial,
		RandomizationFactor: backoffJitter,
		Multiplier:          backoffMultiplier,
		MaxInterval:         backoffMax,
	}
	b.Reset()
	return b
}

// restartDelay is how long to wait before restarting a process that ran for
// uptime. A process that stayed up a while was healthy, so its exit starts a
// fresh backoff instead of continuing an old crash loop's.
func restartDelay(b *backoff.ExponentialBackOff, uptime time.Duration) time.Duration {
	if uptime >= stableUptime {
		b.Reset()
	}
	return b.NextBackOff()
}

// supervise restarts the process each time it exits, until Stop or Detach,
// or until it exited too often (a crash loop) and the instance is failed.
func (i *Instance) supervise() {
	defer close(i.done)
	b := newBackOff()
	exits := &exitWindow{policy: i.crashLoop}
	rot := &logRotator{path: i.spec.LogPath, policy: i.logPolicy}
	for {
		ex, ok := i.watch(rot)
		if !ok {
			return
		}
		if ex.recycle != nil {
			var replaced bool
			if ex, replaced = i.replace(*ex.recycle); replaced {
				continue
			}
			// The new process did not start: carry on as after an exit.
		}
		if reason, loop := exits.add(time.Now(), ex.status); loop {
			i.fail(ex, reason)
			return
		}
		delay := restartDelay(b, ex.uptime)
		i.log.Warn("instance exited", "pid", ex.pid, "status", ex.status,
			"uptime", ex.uptime.Round(time.Millisecond), "restart_in", delay)
		for {
			if !i.pause(delay) {
				return
			}
			err := i.restart()
			if err == nil {
				break
			}
			// A start that fails (the command vanished with a broken
			// release, say) counts like an exit: retrying it forever would
			// hide it just the same.
			status := "restart failed: " + err.Error()
			if reason, loop := exits.add(time.Now(), status); loop {
				i.fail(exit{status: status}, reason)
				return
			}
			delay = b.NextBackOff()
			i.log.Error("instance restart failed", "err", err, "retry_in", delay)
		}
	}
}

// watch polls the current process until it ends (true) or supervision ends
// (false), and meanwhile keeps its log file under the size limit. Polling
// rather than Wait works the same for adopted processes, which are not our
// children, and leaves no goroutine blocked after Detach.
func (i *Instance) watch(rot *logRotator) (exit, bool) {
	i.mu.Lock()
	p, since := i.cur, i.since
	i.mu.Unlock()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	logTick := time.NewTicker(logCheckInterval)
	defer logTick.Stop()
	for {
		select {
		case <-i.quit:
			return exit{}, false
		case <-logTick.C:
			rot.check(i.log)
			continue
		case req := <-i.recycle:
			return exit{recycle: &req}, true
		case <-t.C:
		}
		status, ended := p.ended()
		if !ended {
			continue
		}
		i.mu.Lock()
		i.cur, i.lastExit, i.adopted = proc{}, status, false
		i.mu.Unlock()
		return exit{pid: p.id.PID, status: status, uptime: time.Since(since)}, true
	}
}

// pause waits d; false means supervision ended meanwhile.
func (i *Instance) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-i.quit:
		return false
	case <-t.C:
	}
	// Both may be ready at once; never start a process after Stop.
	select {
	case <-i.quit:
		return false
	default:
		return true
	}
}

// restart starts a new process as a normal child.
func (i *Instance) restart() error {
	p, err := spawn(i.spec)
	if err != nil {
		return err
	}
	i.mu.Lock()
	i.cur, i.since = p, time.Now()
	i.restarts++
	n := i.restarts
	i.mu.Unlock()
	i.log.Info("instance restarted", "pid", p.id.PID, "restarts", n)
	if i.onStart != nil {
		i.onStart(p.id)
	}
	return nil
}
