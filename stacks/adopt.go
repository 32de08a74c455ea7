package stacks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// Adopt re-attaches to a process that a previous controller started for spec
// and that is still running, and supervises it from now on: when it exits it
// is restarted as a normal child. It returns an error matching ErrGone when
// the process has exited or its PID now belongs to another process; the
// caller then starts the instance afresh.
func Adopt(spec InstanceSpec, id ProcessID, opts Options) (*Instance, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	p, err := adoptable(id)
	if err != nil {
		return nil, fmt.Errorf("adopt %s (pid %d): %w", spec.name(), id.PID, err)
	}
	i := newInstance(spec, opts)
	i.cur, i.since, i.adopted = p, time.Now(), true
	if p.pgid == 0 {
		i.log.Warn("adopted process does not lead its own process group; Stop will signal it alone",
			"pid", id.PID)
	}
	i.log.Info("instance adopted", "pid", id.PID)
	go i.supervise()
	return i, nil
}

// adoptable checks that id still names the same, running process.
func adoptable(id ProcessID) (proc, error) {
	if id.PID <= 0 {
		return proc{}, fmt.Errorf("no pid: %w", ErrGone)
	}
	st, err := readStat(id.PID)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return proc{}, fmt.Errorf("not running: %w", ErrGone)
	}
	if err != nil {
		return proc{}, err
	}
	if st.startTime != id.StartTime {
		return proc{}, fmt.Errorf("pid now belongs to another process (start time %d, expected %d): %w",
			st.startTime, id.StartTime, ErrGone)
	}
	child := st.ppid == os.Getpid()
	if st.exited() {
		// Nobody else would reap our own zombie (a Detach in this same
		// controller); if it is not reapable yet, it is gone all the same.
		if child {
			_, _ = proc{id: id, child: true}.reap()
		}
		return proc{}, fmt.Errorf("process has exited: %w", ErrGone)
	}
	if err := syscall.Kill(id.PID, 0); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return proc{}, fmt.Errorf("not running: %w", ErrGone)
		}
		return proc{}, fmt.Errorf("cannot signal it: %w", err)
	}
	p := proc{id: id, child: child}
	// Only signal a group the process leads: an odd process in someone
	// else's group (the controller's own, say) must not take it down with it.
	if st.pgrp == id.PID {
		p.pgid = id.PID
	}
	return p, nil
}
