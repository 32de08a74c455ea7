// Package switchlog records when each slot of a service may have been live,
// so that tests can check the switch invariant: every response comes from a
// slot that was live at some moment while its request was in flight.
package switchlog

import (
	"sync"
	"time"
)

// Log is the timeline of switches, seen from the side that causes them.
type Log struct {
	mu      sync.Mutex
	windows []*window
}

type window struct {
	slot     string
	from, to time.Time
}

// Begin is called just before a switch to slot: from now on, slot may be
// live.
func (l *Log) Begin(slot string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.windows = append(l.windows, &window{slot: slot, from: time.Now()})
}

// End is called just after the switch returned: from now on, the slot that
// was live before the last Begin is not.
func (l *Log) End() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.windows); n >= 2 {
		l.windows[n-2].to = time.Now()
	}
}

// LiveDuring reports whether slot may have been live at some moment between
// from and to: the widest reading of the timeline, so that only a real
// misroute fails it.
func (l *Log) LiveDuring(slot string, from, to time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range l.windows {
		if w.slot == slot && !w.from.After(to) && (w.to.IsZero() || !w.to.Before(from)) {
			return true
		}
	}
	return false
}
