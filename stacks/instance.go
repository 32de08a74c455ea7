package stacks

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Instance supervises one instance process: it restarts the process when it
// exits, and stops it or lets go of it on request. Its methods are safe for
// concurrent use.
type Instance struct {
	spec      InstanceSpec
	onStart   func(ProcessID)
	log       *slog.Logger
	crashLoop CrashLoopPolicy
	logPolicy LogPolicy

	quit     chan struct{} // closed by Stop or Detach: supervision ends
	quitOnce sync.Once
	done     chan struct{} // closed when the supervising goroutine has returned
	stopMu   sync.Mutex    // one Stop at a time terminates the process
	failed   chan struct{} // closed when supervision gave up on a crash loop
	recycle  chan recycleRequest

	mu       sync.Mutex
	cur      proc // zero while between restarts or after Stop
	since    time.Time
	restarts int
	lastExit string
	adopted  bool
	// failReason says why supervision gave up; set before failed is closed.
	failReason string
}

// Status is a snapshot of an Instance for status output.
type Status struct {
	Running  bool      `json:"running"`
	PID      int       `json:"pid"`
	Since    time.Time `json:"since"`               // when the current process started (or was adopted)
	Restarts int       `json:"restarts"`            // restarts after exits since Start or Adopt
	LastExit string    `json:"last_exit,omitempty"` // e.g. "exit status 1" / "signal: killed"
	Adopted  bool      `json:"adopted"`             // the current process was adopted, not started by this Instance
	// Failed says supervision gave up on a crash loop: nothing runs and
	// nothing will be restarted; FailReason says why, e.g. "crash loop:
	// exited 5 times in 12s; last: exit status 3".
	Failed     bool   `json:"failed"`
	FailReason string `json:"fail_reason,omitempty"`
}

func newInstance(spec InstanceSpec, opts Options) *Instance {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	who := []any{"instance", spec.Index}
	if spec.Job != "" {
		who = []any{"job", spec.Job}
	}
	return &Instance{
		spec:      spec.clone(),
		onStart:   opts.OnStart,
		log:       logger.With("service", spec.Service, "slot", spec.Slot).With(who...).With("release", spec.Release),
		crashLoop: opts.CrashLoop.withDefaults(),
		logPolicy: opts.Log.withDefaults(),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
		failed:    make(chan struct{}),
		recycle:   make(chan recycleRequest),
	}
}

// Start starts the instance process described by spec and supervises it. It
// returns an error, and leaves nothing running, when the first start fails
// (invalid spec, command not found, working directory missing, ...).
func Start(spec InstanceSpec, opts Options) (*Instance, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	i := newInstance(spec, opts)
	p, err := spawn(i.spec)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.name(), err)
	}
	i.cur, i.since = p, time.Now()
	i.log.Info("instance started", "pid", p.id.PID, "port", spec.Port)
	// Before supervision begins, so that OnStart calls never overlap and the
	// caller has persisted the first ProcessID when Start returns.
	if i.onStart != nil {
		i.onStart(p.id)
	}
	go i.supervise()
	return i, nil
}

// Spec returns the spec the instance runs with (a copy).
func (i *Instance) Spec() InstanceSpec {
	return i.spec.clone()
}

// Process returns the current process; the zero value while between restarts
// or after Stop.
func (i *Instance) Process() ProcessID {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.cur.id
}

// Restarts returns how many times the process was restarted after exits.
func (i *Instance) Restarts() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.restarts
}

// Status returns a snapshot of the instance's state.
func (i *Instance) Status() Status {
	i.mu.Lock()
	defer i.mu.Unlock()
	s := Status{
		Running:  i.cur.id.PID != 0,
		PID:      i.cur.id.PID,
		Restarts: i.restarts,
		LastExit: i.lastExit,
		Adopted:  i.adopted,
		// failReason is set once and only ever on failure.
		Failed:     i.failReason != "",
		FailReason: i.failReason,
	}
	if s.Running {
		s.Since = i.since
	}
	return s
}
