package stacks

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// statusUnknown is the exit status of a process that was not our child: only
// its parent learns how it ended.
const statusUnknown = "exited (status unknown: not a child of this controller)"

// procStat is the part of /proc/PID/stat that supervision needs.
type procStat struct {
	state     byte // R, S, D, Z, ...
	ppid      int
	pgrp      int
	threads   int
	startTime uint64
}

// exited reports whether the process is over and only waits to be reaped.
// The main thread of a multi-threaded process shows as a zombie as soon as it
// exits, while the other threads may run on (pthread_exit) or still be
// exiting; the process is over only when they are gone too.
func (st procStat) exited() bool {
	return (st.state == 'Z' || st.state == 'X') && st.threads <= 1
}

// readStat parses /proc/PID/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// Field 2 is the command name in parentheses; it may contain spaces and
	// ")" itself, so the numbered fields are counted from the last ")".
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[end+1:])
	// f[0] is field 3 (state), f[1] field 4 (ppid), f[2] field 5 (pgrp),
	// f[17] field 20 (num_threads), f[19] field 22 (starttime).
	if len(f) < 20 || f[0] == "" {
		return procStat{}, fmt.Errorf("/proc/%d/stat: only %d fields after the command name", pid, len(f))
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	threads, err3 := strconv.Atoi(f[17])
	start, err4 := strconv.ParseUint(f[19], 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return procStat{state: f[0][0], ppid: ppid, pgrp: pgrp, threads: threads, startTime: start}, nil
}

// ReadStartTime returns the start time of process pid (field 22 of
// /proc/PID/stat, in clock ticks since boot). Together with the PID it tells
// a process apart from a later one that got the same PID.
func ReadStartTime(pid int) (uint64, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, fmt.Errorf("read start time of pid %d: %w", pid, err)
	}
	return st.startTime, nil
}

// proc is a process under supervision.
type proc struct {
	id ProcessID
	// pgid is the process group to signal; 0 when the process does not lead
	// its own group (an odd adopted process), so that we never signal a group
	// we did not create, such as the controller's own.
	pgid int
	// child says the process is ours to reap (and to read an exit status from).
	child bool
}

// liveness is where a process is in its life.
type liveness int

const (
	alive  liveness = iota
	zombie          // exited, not yet reaped by its parent
	gone            // reaped, or its PID now belongs to another process
)

func (p proc) liveness() liveness {
	if errors.Is(syscall.Kill(p.id.PID, 0), syscall.ESRCH) {
		return gone
	}
	st, err := readStat(p.id.PID)
	if err != nil || st.startTime != p.id.StartTime {
		return gone
	}
	if st.exited() {
		return zombie
	}
	return alive
}

// ended reports whether p's process is over and how it ended. What is left of
// its process group is killed first: orphaned workers would keep the slot's
// port and make every restart fail. Doing it before reaping matters: the
// unreaped leader keeps the group ID from being reused.
func (p proc) ended() (string, bool) {
	l := p.liveness()
	if l == alive {
		return "", false
	}
	if p.pgid != 0 {
		_ = p.signal(syscall.SIGKILL)
	}
	if l == gone {
		return statusUnknown, true
	}
	return p.reap()
}

// reap collects the exit status of p, a zombie. False means not yet: the last
// threads of a process may still be on their way out.
func (p proc) reap() (string, bool) {
	if !p.child {
		return statusUnknown, true
	}
	var ws syscall.WaitStatus
	for {
		wpid, err := syscall.Wait4(p.id.PID, &ws, syscall.WNOHANG, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil: // reaped behind our back
			return statusUnknown, true
		case wpid == 0:
			return "", false
		}
		return describeWait(ws), true
	}
}

// describeWait words an exit the way os.ProcessState does ("exit status 1",
// "signal: killed"), since operators know those phrases from Go tools.
func describeWait(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return "exit status " + strconv.Itoa(ws.ExitStatus())
	case ws.Signaled():
		s := "signal: " + ws.Signal().String()
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	}
	return fmt.Sprintf("exited (wait status %#x)", uint32(ws))
}

// signal sends sig to p's whole process group (grandchildren too), or to p
// alone when it does not lead a group. A process already gone is not an error.
func (p proc) signal(sig syscall.Signal) error {
	target := p.id.PID
	if p.pgid != 0 {
		target = -p.pgid
	}
	err := syscall.Kill(target, sig)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("send %s to pid %d: %w", sig, target, err)
	}
	return nil
}

// groupEmpty reports whether no live member of p's group is left; the caller
// knows the leader itself is gone. Zombies do not count: without a reaping
// init (some containers) they would otherwise keep Stop waiting forever.
func (p proc) groupEmpty() bool {
	if p.pgid == 0 {
		return true
	}
	if errors.Is(syscall.Kill(-p.pgid, 0), syscall.ESRCH) {
		return true
	}
	return !groupHasLiveMember(p.pgid)
}

// groupHasLiveMember scans /proc; it only runs while a group outlives its
// leader, which is rare and short.
func groupHasLiveMember(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true // cannot tell: assume the worst and keep waiting
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err == nil && st.pgrp == pgid && !st.exited() {
			return true
		}
	}
	return false
}
