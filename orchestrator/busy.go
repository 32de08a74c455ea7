package orchestrator

import (
	"sync"
	"time"
)

// busyLock lets one mutating operation run on a service at a time. A second
// one is refused at once with what is running, instead of queueing behind it:
// during an incident a silent wait is worse than a clear "busy".
type busyLock struct {
	mu    sync.Mutex
	op    string
	since time.Time
}

// acquire takes the lock for op, or returns a busy error naming the holder.
func (b *busyLock) acquire(service, op string) (release func(), err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.op != "" {
		return nil, errorf(KindBusy, "wait for it to finish, then try again",
			"busy: %s of %s started at %s is still running", b.op, service, b.since.Format(time.RFC3339))
	}
	b.op, b.since = op, time.Now()
	return func() {
		b.mu.Lock()
		b.op, b.since = "", time.Time{}
		b.mu.Unlock()
	}, nil
}

// current returns the running operation, if any.
func (b *busyLock) current() (op string, since time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.op, b.since
}
