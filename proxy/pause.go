package proxy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Sentinel errors of pausing.
var (
	ErrPaused     = errors.New("service is already paused")
	ErrNotPaused  = errors.New("service is not paused")
	ErrNoPauseMax = errors.New("a pause needs a longest wait above zero")
)

// pauseGate holds back the new live requests of a paused service until
// Resume. Only requests of a paused service ever touch its mutex; the normal
// request path sees a nil gate pointer and goes on.
type pauseGate struct {
	since time.Time
	max   time.Duration

	mu       sync.Mutex
	waiters  []chan struct{} // in arrival order; nil where a waiter gave up
	waiting  int
	released bool
}

type waitOutcome int

const (
	waitReleased waitOutcome = iota
	waitTimedOut
	waitClientGone
)

// Pause holds the service's new live requests (not its preview requests)
// until Resume, each for at most max; one that waits longer gets 503. Held
// requests are not in flight anywhere, so a switch made during the pause
// sends them to the new slot: pause, switch, resume loses no request.
func (p *Proxy) Pause(service string, max time.Duration) error {
	if max <= 0 {
		return fmt.Errorf("pause %s: %w", service, ErrNoPauseMax)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.table.Load().byName[service]
	if !ok {
		return fmt.Errorf("pause %s: %w", service, ErrUnknownService)
	}
	if !r.state.pause.CompareAndSwap(nil, &pauseGate{since: time.Now(), max: max}) {
		return fmt.Errorf("pause %s: %w", service, ErrPaused)
	}
	return nil
}

// Resume lets the held requests of the service go, in the order they came,
// to whatever slot is live now, and returns how many it let go.
func (p *Proxy) Resume(service string) (released int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.table.Load().byName[service]
	if !ok {
		return 0, fmt.Errorf("resume %s: %w", service, ErrUnknownService)
	}
	g := r.state.pause.Swap(nil)
	if g == nil {
		return 0, fmt.Errorf("resume %s: %w", service, ErrNotPaused)
	}
	return g.release(), nil
}

// Paused reports whether the service is paused, since when, and how many
// requests it holds now.
func (p *Proxy) Paused(service string) (since time.Time, waiting int, ok bool) {
	r, found := p.table.Load().byName[service]
	if !found {
		return time.Time{}, 0, false
	}
	g := r.state.pause.Load()
	if g == nil {
		return time.Time{}, 0, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.since, g.waiting, true
}

// wait holds the caller until the gate opens, d has passed, or ctx ends. A
// gate opened already (the caller read it just before Resume) lets it
// through at once.
func (g *pauseGate) wait(ctx context.Context, d time.Duration) waitOutcome {
	g.mu.Lock()
	if g.released {
		g.mu.Unlock()
		return waitReleased
	}
	if d <= 0 {
		g.mu.Unlock()
		return waitTimedOut
	}
	ch := make(chan struct{})
	i := len(g.waiters)
	g.waiters = append(g.waiters, ch)
	g.waiting++
	g.mu.Unlock()

	timer := time.NewTimer(d)
	defer timer.Stop()
	var out waitOutcome
	select {
	case <-ch:
		return waitReleased
	case <-timer.C:
		out = waitTimedOut
	case <-ctx.Done():
		out = waitClientGone
	}
	if !g.leave(i) {
		// Resume won the race: the request goes on rather than fail.
		return waitReleased
	}
	return out
}

// leave takes waiter i out of the queue, unless the gate opened first.
func (g *pauseGate) leave(i int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.released {
		return false
	}
	g.waiters[i] = nil
	g.waiting--
	return true
}

// release opens the gate for good, waking the waiters in arrival order, and
// returns how many it woke.
func (g *pauseGate) release() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.released = true
	n := 0
	for _, ch := range g.waiters {
		if ch != nil {
			close(ch)
			n++
		}
	}
	g.waiters, g.waiting = nil, 0
	return n
}
