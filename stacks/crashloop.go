package stacks

import (
	"fmt"
	"slices"
	"time"
)

// CrashLoopPolicy says when supervision gives up on an instance: once its
// process exited MaxExits times within Within, it is not restarted again and
// the instance is failed. Restarting it forever would hide the problem behind
// a slot that looks "starting" and would keep a broken release half-alive.
type CrashLoopPolicy struct {
	MaxExits int           // 0 or less means 5
	Within   time.Duration // 0 or less means 60s
}

func (p CrashLoopPolicy) withDefaults() CrashLoopPolicy {
	if p.MaxExits <= 0 {
		p.MaxExits = crashLoopExits
	}
	if p.Within <= 0 {
		p.Within = crashLoopWithin
	}
	return p
}

// exitWindow remembers the recent exits of one instance.
type exitWindow struct {
	policy CrashLoopPolicy
	times  []time.Time // oldest first, none older than policy.Within
}

// add records an exit at now, ended as last says, and returns the reason the
// instance is failed when this exit completes a crash loop.
func (w *exitWindow) add(now time.Time, last string) (reason string, loop bool) {
	w.times = append(w.times, now)
	old := 0
	for old < len(w.times) && now.Sub(w.times[old]) > w.policy.Within {
		old++
	}
	w.times = slices.Delete(w.times, 0, old)
	if len(w.times) < w.policy.MaxExits {
		return "", false
	}
	return fmt.Sprintf("crash loop: exited %d times in %s; last: %s",
		len(w.times), roundSpan(now.Sub(w.times[0])), last), true
}

// roundSpan keeps a span readable: "12s", "3.2s", "450ms".
func roundSpan(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// Failed returns a channel that is closed when supervision gave up on the
// instance because of a crash loop; Status then says why. It is never closed
// otherwise (not by Stop or Detach).
func (i *Instance) Failed() <-chan struct{} {
	return i.failed
}

// fail ends supervision for good. The process is already gone: watch saw it
// end and killed what was left of its group.
func (i *Instance) fail(ex exit, reason string) {
	i.mu.Lock()
	i.failReason = reason
	i.mu.Unlock()
	if ex.pid == 0 { // the last attempt did not even start
		i.log.Error("instance failed", "reason", reason)
	} else {
		i.log.Error("instance failed", "pid", ex.pid, "status", ex.status,
			"uptime", ex.uptime.Round(time.Millisecond), "reason", reason)
	}
	// Last, so that whoever wakes on Failed() finds the reason set and
	// logged.
	close(i.failed)
}
