package stacks

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestStop_TerminatesGracefullyWithinTheGracePeriod(t *testing.T) {
	spec := testSpec(t, nil)
	i := startInstance(t, spec, Options{})
	waitReady(t, spec.Port)
	pid := i.Process().PID

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := i.Stop(ctx, 15*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !processGone(pid) {
		t.Errorf("pid %d still running after Stop", pid)
	}
	st := i.Status()
	if st.Running || st.PID != 0 || st.LastExit != "signal: terminated" {
		t.Errorf("Status() after Stop = %+v, want stopped by SIGTERM", st)
	}
	assertSupervisionEnded(t, i)
}

func TestStop_KillsAGroupThatIgnoresSIGTERMAndDoesNotRestartIt(t *testing.T) {
	spec := testSpec(t, map[string]string{"CHILD_IGNORE_TERM": "1", "CHILD_GRANDCHILD": "1"})
	i := startInstance(t, spec, Options{})
	pid := i.Process().PID
	grandchild := readPIDFile(t, spec.VarDir, "grandchild.pid")
	killOnCleanup(t, grandchild)
	if pgid, err := syscall.Getpgid(grandchild); err != nil || pgid != pid {
		t.Fatalf("grandchild's pgid = %d (%v), want the instance's group %d", pgid, err, pid)
	}
	waitReady(t, spec.Port) // SIGTERM is ignored from here on

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := i.Stop(ctx, 200*time.Millisecond); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if st := i.Status(); st.Running || st.LastExit != "signal: killed" {
		t.Errorf("Status() after Stop = %+v, want killed", st)
	}
	if !processGone(pid) {
		t.Errorf("instance pid %d still running after Stop", pid)
	}
	// The grandchild is no longer ours to reap; wait for its new parent.
	waitFor(t, "the grandchild to be gone", func() bool { return processGone(grandchild) })
	assertSupervisionEnded(t, i)

	// Long enough for a restart to have happened (backoff plus a poll).
	time.Sleep(2 * (backoffInitial + pollInterval))
	if st := i.Status(); st.Running || st.Restarts != 0 {
		t.Errorf("Status() a while after Stop = %+v, want no restart", st)
	}
}

func TestStop_CalledConcurrentlyAndRepeatedlyIsSafe(t *testing.T) {
	spec := testSpec(t, nil)
	i := startInstance(t, spec, Options{})
	pid := i.Process().PID
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := i.Stop(ctx, 5*time.Second); err != nil {
				t.Errorf("Stop: %v", err)
			}
		})
	}
	wg.Go(i.Detach)
	wg.Wait()
	if !processGone(pid) {
		t.Errorf("pid %d still running after Stop", pid)
	}
}

// killOnCleanup kills pid and its group at the end of the test unless it is
// gone by then (its start time tells a reused PID apart).
func killOnCleanup(t *testing.T, pid int) {
	t.Helper()
	start, err := ReadStartTime(pid)
	if err != nil {
		return
	}
	t.Cleanup(func() {
		if now, err := ReadStartTime(pid); err == nil && now == start {
			killGroup(pid)
		}
	})
}

// assertSupervisionEnded checks that no supervising goroutine is left.
func assertSupervisionEnded(t *testing.T, i *Instance) {
	t.Helper()
	select {
	case <-i.done:
	default:
		t.Error("the supervising goroutine is still running")
	}
}

// readPIDFile waits for a child to write its pid file into varDir.
func readPIDFile(t *testing.T, varDir, name string) int {
	t.Helper()
	var pid int
	waitFor(t, name, func() bool {
		b, err := os.ReadFile(filepath.Join(varDir, name))
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(string(b))
		return err == nil && pid > 0
	})
	return pid
}

func TestStopAndDetach_LeaveNoGoroutineBehind(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	stopped := startInstance(t, testSpec(t, nil), Options{})
	detached := startInstance(t, testSpec(t, nil), Options{})
	if err := stopped.Stop(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	detached.Detach()
	waitFor(t, "the goroutine count to drop back", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

func TestSignal_ReachesTheRunningProcess(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "got-usr2")
	script := "trap 'echo usr2 > " + marker + "' USR2; while :; do sleep 0.05; done"
	in, err := Start(InstanceSpec{Service: "s", Slot: "a", Index: 1, Port: 1, Dir: dir,
		Command: []string{"sh", "-c", script}, VarDir: filepath.Join(dir, "var"), LogPath: filepath.Join(dir, "log")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Stop(context.Background(), time.Second)
	waitFor(t, "the trap to be set", func() bool {
		in.Signal(syscall.SIGUSR2)
		_, err := os.Stat(marker)
		return err == nil
	})
	in.Stop(context.Background(), time.Second)
	if err := in.Signal(syscall.SIGUSR2); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("signal after stop: %v", err)
	}
}
