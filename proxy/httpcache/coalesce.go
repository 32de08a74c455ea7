package httpcache

import (
	"context"
	"sync"
)

// flights coalesce concurrent misses of one primary key: the first, the
// leader, asks the origin; the others, its followers, wait until it landed
// and then look again. A follower that finds nothing (the answer was not
// storable, or is another variant) asks the origin itself, which is why a
// hand-made flight fits better than singleflight: followers want the stored
// entry, not the leader's result.
type flights struct {
	mu sync.Mutex
	m  map[primaryKey]*flight
	// waiting, when set, is called as a follower starts to wait, so that
	// tests know every follower joined before the leader's origin answers.
	waiting func()
}

// flight is one leader's trip to the origin; done closes when it lands.
type flight struct{ done chan struct{} }

// join returns the flight of k, and true when the caller leads it.
func (fs *flights) join(k primaryKey) (*flight, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.m[k]; ok {
		return f, false
	}
	f := &flight{done: make(chan struct{})}
	fs.m[k] = f
	return f, true
}

// land lets the followers of f go and forgets f, so that the next miss of
// k leads a flight of its own. The leader lands as soon as it knows the
// answer will not be stored, and again when it is done; the second landing
// does nothing.
func (fs *flights) land(k primaryKey, f *flight) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.m[k] == f {
		delete(fs.m, k)
		close(f.done)
	}
}

// wait waits until f lands, and reports false if ctx (the follower's
// client) ends first.
func (fs *flights) wait(ctx context.Context, f *flight) bool {
	if fs.waiting != nil {
		fs.waiting()
	}
	select {
	case <-f.done:
		return true
	case <-ctx.Done():
		return false
	}
}
