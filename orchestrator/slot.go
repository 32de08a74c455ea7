package orchestrator

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"deploy/config"
	"deploy/proxy"
	"deploy/stacks"
)

// slotRun is a running slot: its supervised instances and what the last
// health probe of each said.
type slotRun struct {
	name      string
	readyPath string
	grace     time.Duration
	healthCfg config.Health
	// onHealth learns when an instance goes out of rotation or back in.
	onHealth  func(addr string, healthy bool)
	startedAt time.Time
	instances []*stacks.Instance
	health    []atomic.Pointer[probeResult]
	stopProbe context.CancelFunc
	// quit closes when the slot's supervision ends (stop or detach).
	quit     chan struct{}
	quitOnce sync.Once
	// failed closes when the first instance is given up on; it is watched
	// by one set of goroutines however many callers wait on it.
	failed     chan struct{}
	failedOnce sync.Once
}

// probeResult is the last probe of an instance and its standing: an
// instance leaves rotation after Fall failed probes in a row and comes back
// after Rise good ones, so one slow answer does not flap it.
type probeResult struct {
	ok      bool
	err     string
	at      time.Time
	healthy bool
	streak  int // probes in a row with the same ok as this one
}

func newSlotRun(name, readyPath string, grace time.Duration, health config.Health, onHealth func(string, bool), instances []*stacks.Instance) *slotRun {
	return &slotRun{
		name:      name,
		readyPath: readyPath,
		grace:     grace,
		healthCfg: health,
		onHealth:  onHealth,
		startedAt: time.Now(),
		instances: instances,
		health:    make([]atomic.Pointer[probeResult], len(instances)),
		quit:      make(chan struct{}),
	}
}

func (r *slotRun) end() { r.quitOnce.Do(func() { close(r.quit) }) }

// anyFailed closes when the first instance is given up on (crash loop). Its
// watchers, started on the first call, end with the slot's supervision.
func (r *slotRun) anyFailed() <-chan struct{} {
	r.failedOnce.Do(func() {
		r.failed = make(chan struct{})
		var once sync.Once
		for _, in := range r.instances {
			go func() {
				select {
				case <-in.Failed():
					once.Do(func() { close(r.failed) })
				case <-r.quit:
				}
			}()
		}
	})
	return r.failed
}

// failure explains the first failed instance, with the end of its log.
func (r *slotRun) failure() string {
	for _, in := range r.instances {
		st := in.Status()
		if !st.Failed {
			continue
		}
		msg := fmt.Sprintf("instance %d: %s", in.Spec().Index, st.FailReason)
		if lines := in.LastLogLines(logLinesOnFailure); len(lines) > 0 {
			msg += "\nlast lines of " + in.Spec().LogPath + ":\n  " + strings.Join(lines, "\n  ")
		}
		return msg
	}
	return ""
}

// addrs are the loopback addresses the proxy sends the slot's requests to.
func (r *slotRun) addrs() []string {
	out := make([]string, len(r.instances))
	for i := range r.instances {
		out[i] = r.addr(i)
	}
	return out
}

// backend is how the proxy reaches the slot, and which release answers
// there (the proxy's cache keeps each release's pages apart).
func (r *slotRun) backend() proxy.Backend {
	b := proxy.Backend{Slot: r.name, Addrs: r.addrs()}
	if len(r.instances) > 0 {
		b.Release = cacheRelease(r.instances[0].Spec().Release, r.name)
	}
	return b
}

func (r *slotRun) addr(i int) string {
	return "127.0.0.1:" + strconv.Itoa(r.instances[i].Spec().Port)
}

// eachInstance runs fn for every instance at once and returns the first
// error in instance order.
func (r *slotRun) eachInstance(fn func(i int, in *stacks.Instance) error) error {
	errs := make([]error, len(r.instances))
	var wg sync.WaitGroup
	for i, in := range r.instances {
		wg.Go(func() { errs[i] = fn(i, in) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// probeAll probes every instance at once and records the results; the error
// names the first instance that did not answer.
func (r *slotRun) probeAll(ctx context.Context) error {
	return r.eachInstance(func(i int, in *stacks.Instance) error {
		pctx, cancel := context.WithTimeout(ctx, r.healthCfg.Timeout)
		defer cancel()
		err := stacks.Probe(pctx, in.Spec().Port, r.readyPath)
		if ctx.Err() != nil {
			return ctx.Err() // the slot stops: not the instance's fault
		}
		r.record(i, err)
		if err != nil {
			err = fmt.Errorf("instance %d (port %d): %w", in.Spec().Index, in.Spec().Port, err)
		}
		return err
	})
}

// record keeps a probe's result and moves the instance out of rotation or
// back in when its streak says so.
func (r *slotRun) record(i int, err error) {
	prev := r.health[i].Load()
	if prev == nil {
		prev = &probeResult{ok: true, healthy: true}
	}
	res := &probeResult{ok: err == nil, at: time.Now(), healthy: prev.healthy, streak: 1}
	if err != nil {
		res.err = err.Error()
	}
	if prev.ok == res.ok {
		res.streak = prev.streak + 1
	}
	switch {
	case res.healthy && !res.ok && res.streak >= r.healthCfg.Fall:
		res.healthy = false
	case !res.healthy && res.ok && res.streak >= r.healthCfg.Rise:
		res.healthy = true
	}
	r.health[i].Store(res)
	if prev.healthy != res.healthy && r.onHealth != nil {
		r.onHealth(r.addr(i), res.healthy)
	}
}

// waitReady waits until every instance answers its ready path.
func (r *slotRun) waitReady(ctx context.Context) error {
	return r.eachInstance(func(i int, in *stacks.Instance) error {
		if err := stacks.WaitReady(ctx, in.Spec().Port, r.readyPath); err != nil {
			err = fmt.Errorf("instance %d (port %d) did not become ready: %w", in.Spec().Index, in.Spec().Port, err)
			return &readyError{err: err, instance: in}
		}
		r.health[i].Store(&probeResult{ok: true, at: time.Now(), healthy: true, streak: 1})
		return nil
	})
}

// markReady records that instance i answered its ready path just now, and
// brings it back into rotation if probes had taken it out while it
// restarted: the probes' streak starts afresh from this answer.
func (r *slotRun) markReady(i int) {
	prev := r.health[i].Swap(&probeResult{ok: true, at: time.Now(), healthy: true, streak: 1})
	if prev != nil && !prev.healthy && r.onHealth != nil {
		r.onHealth(r.addr(i), true)
	}
}

// readyError carries the failing instance so the caller can show its log.
type readyError struct {
	err      error
	instance *stacks.Instance
}

func (e *readyError) Error() string { return e.err.Error() }

// startProbing keeps the health results fresh until stopped.
func (r *slotRun) startProbing() {
	ctx, cancel := context.WithCancel(context.Background())
	r.stopProbe = cancel
	go func() {
		t := time.NewTicker(r.healthCfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = r.probeAll(ctx)
			}
		}
	}()
}

// stop ends the slot's processes (and its probing) and waits for them.
func (r *slotRun) stop(ctx context.Context) error {
	if r.stopProbe != nil {
		r.stopProbe()
	}
	r.end()
	return r.eachInstance(func(_ int, in *stacks.Instance) error { return in.Stop(ctx, r.grace) })
}

// detach leaves the processes running for the next controller to adopt.
func (r *slotRun) detach() {
	r.end()
	if r.stopProbe != nil {
		r.stopProbe()
	}
	for _, in := range r.instances {
		in.Detach()
	}
}
