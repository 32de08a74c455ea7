package stacks

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDetachAndAdopt_ReattachToTheRunningProcessAndRestartItWhenItDies(t *testing.T) {
	spec := testSpec(t, nil)
	first := startInstance(t, spec, Options{})
	waitReady(t, spec.Port)
	id := first.Process()

	first.Detach()
	assertSupervisionEnded(t, first)
	if processGone(id.PID) {
		t.Fatal("the process died on Detach")
	}
	waitReady(t, spec.Port)

	var got starts
	i, err := Adopt(spec, id, Options{OnStart: got.record})
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	stopOnCleanup(t, i)
	if st := i.Status(); !st.Adopted || !st.Running || st.PID != id.PID || i.Process() != id {
		t.Fatalf("Status() after Adopt = %+v, want adopted pid %d", st, id.PID)
	}
	if ids := got.all(); len(ids) != 0 {
		t.Errorf("OnStart called for the adopted process: %v", ids)
	}

	if err := syscall.Kill(id.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a restart after the adopted process died", func() bool {
		p := i.Process().PID
		return p != 0 && p != id.PID
	})
	st := i.Status()
	if st.Adopted || st.Restarts != 1 || st.LastExit != "signal: killed" {
		t.Errorf("Status() after the restart = %+v, want a normal child, 1 restart, killed", st)
	}
	if ids := got.all(); len(ids) != 1 || ids[0] != i.Process() {
		t.Errorf("OnStart calls = %v, want the new process %v", ids, i.Process())
	}
	if pgid, _ := syscall.Getpgid(st.PID); pgid != st.PID {
		t.Errorf("restarted process is in group %d, want its own", pgid)
	}
	waitReady(t, spec.Port)
}

func TestAdopt_SupervisesAProcessThatIsNotItsChild(t *testing.T) {
	spec, id, i := adoptForeign(t)

	if err := syscall.Kill(id.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a restart", func() bool { p := i.Process().PID; return p != 0 && p != id.PID })
	if st := i.Status(); st.LastExit != statusUnknown || st.Adopted {
		t.Errorf("Status() = %+v, want an unknown exit status and a normal child now", st)
	}
	waitReady(t, spec.Port)
}

func TestAdopt_StopsAnAdoptedProcessThatIsNotItsChild(t *testing.T) {
	_, id, i := adoptForeign(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := i.Stop(ctx, 10*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !processGone(id.PID) {
		t.Errorf("pid %d still running after Stop", id.PID)
	}
}

func TestAdopt_RefusesAGoneOrReusedProcess(t *testing.T) {
	spec := testSpec(t, nil)
	i := startInstance(t, spec, Options{})
	running := i.Process()

	dead := testSpec(t, nil)
	d := startInstance(t, dead, Options{})
	deadID := d.Process()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.Stop(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		id   ProcessID
		want string
	}{
		"reused pid": {ProcessID{PID: running.PID, StartTime: running.StartTime + 1}, "another process"},
		"dead pid":   {deadID, "not running"},
		"no pid":     {ProcessID{}, "no pid"},
	} {
		a, err := Adopt(spec, tc.id, Options{})
		if err == nil {
			stopOnCleanup(t, a)
			t.Errorf("%s: Adopt succeeded", name)
			continue
		}
		t.Logf("%s: %v", name, err)
		if !errors.Is(err, ErrGone) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Adopt error %q, want ErrGone saying %q", name, err, tc.want)
		}
	}
	if i.Process() != running {
		t.Errorf("a refused Adopt disturbed the running instance")
	}
}

// launchForeign starts the test child through a launcher process, so that the
// instance is not this process's child: the situation of a controller that
// restarted.
func launchForeign(t *testing.T, spec InstanceSpec) ProcessID {
	t.Helper()
	if err := os.MkdirAll(spec.VarDir, 0o750); err != nil {
		t.Fatal(err)
	}
	launcher := exec.Command(spec.Command[0])
	launcher.Env = append(spec.environ(), "STACKS_TEST_CHILD=launcher")
	if err := launcher.Start(); err != nil {
		t.Fatalf("launcher: %v", err)
	}
	t.Cleanup(func() {
		_ = launcher.Process.Kill()
		_ = launcher.Wait()
	})
	pid := readPIDFile(t, spec.VarDir, "foreign.pid")
	killOnCleanup(t, pid)
	start, err := ReadStartTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := readStat(pid); st.ppid == os.Getpid() {
		t.Fatal("the launched process is our child")
	}
	return ProcessID{PID: pid, StartTime: start}
}

// adoptForeign adopts a ready process that is not the test's child.
func adoptForeign(t *testing.T) (InstanceSpec, ProcessID, *Instance) {
	t.Helper()
	spec := testSpec(t, nil)
	id := launchForeign(t, spec)
	i, err := Adopt(spec, id, Options{})
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	stopOnCleanup(t, i)
	waitReady(t, spec.Port)
	return spec, id, i
}
