package orchestrator

import (
	"context"
	"sync"
	"time"
)

// busyLock lets one mutating operation run on a service at a time. A second
// one is refused at once with what is running and who runs it, instead of
// queueing behind it: during an incident a silent wait is worse than a clear
// "busy".
//
// The one exception is a release watching its new slot after the switch: an
// operator's switch or rollback interrupts the watch and takes over, because
// an unattended pipeline must never stand between an operator and a
// rollback.
type busyLock struct {
	mu    sync.Mutex
	op    string
	actor string
	since time.Time
	// done closes when the holder releases the lock.
	done chan struct{}
	// interrupt, when set, asks the holder to give the lock up soon.
	interrupt func()
}

// acquire takes the lock for op, or returns a busy error naming the holder.
func (b *busyLock) acquire(service, op, actor string) (release func(), err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.op != "" {
		return nil, b.busyError(service)
	}
	return b.take(op, actor), nil
}

// acquireOrInterrupt takes the lock like acquire, but first interrupts a
// holder that allows it and waits (within ctx) until it let go.
func (b *busyLock) acquireOrInterrupt(ctx context.Context, service, op, actor string) (release func(), err error) {
	b.mu.Lock()
	if b.op == "" {
		defer b.mu.Unlock()
		return b.take(op, actor), nil
	}
	interrupt, done := b.interrupt, b.done
	if interrupt == nil {
		defer b.mu.Unlock()
		return nil, b.busyError(service)
	}
	b.mu.Unlock()
	interrupt()
	select {
	case <-done:
	case <-ctx.Done():
		return nil, errorf(KindBusy, "wait for it to finish, then try again",
			"busy: %s of %s did not stop in time to give way: %v", op, service, ctx.Err())
	}
	return b.acquire(service, op, actor)
}

// take records the holder; callers hold b.mu.
func (b *busyLock) take(op, actor string) func() {
	b.op, b.actor, b.since = op, actor, time.Now()
	done := make(chan struct{})
	b.done, b.interrupt = done, nil
	return func() {
		b.mu.Lock()
		b.op, b.actor, b.since, b.interrupt = "", "", time.Time{}, nil
		b.mu.Unlock()
		close(done)
	}
}

// interruptible lets an operator's switch or rollback interrupt the holder
// through fn until the returned func is called.
func (b *busyLock) interruptible(fn func()) (stop func()) {
	b.mu.Lock()
	b.interrupt = fn
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		b.interrupt = nil
		b.mu.Unlock()
	}
}

// busyError names the running operation; callers hold b.mu.
func (b *busyLock) busyError(service string) *Error {
	by := ""
	if b.actor != "" {
		by = " by " + b.actor
	}
	return errorf(KindBusy, "wait for it to finish, then try again",
		"busy: %s of %s started%s at %s is still running", b.op, service, by, b.since.Format(time.RFC3339))
}

// current returns the running operation, if any.
func (b *busyLock) current() (op string, since time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.op, b.since
}
