package stacks

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRecycle_ReplacesTheProcessAtOnceWithoutCountingARestart(t *testing.T) {
	spec := testSpec(t, nil)
	var got starts
	i := startInstance(t, spec, Options{OnStart: got.record})
	waitReady(t, spec.Port)
	old := i.Process()

	if err := i.Recycle(context.Background(), time.Second); err != nil {
		t.Fatalf("Recycle: %v", err)
	}
	now := i.Process()
	if now.PID == 0 || now.PID == old.PID {
		t.Fatalf("process after Recycle = %+v, want a new one (old %+v)", now, old)
	}
	if !processGone(old.PID) {
		t.Errorf("old process %d still runs after Recycle returned", old.PID)
	}
	if ids := got.all(); !slices.Equal(ids, []ProcessID{old, now}) {
		t.Errorf("OnStart calls = %v, want the first process and its successor", ids)
	}
	waitReady(t, spec.Port)
	if st := i.Status(); !st.Running || st.Restarts != 0 || st.Failed {
		t.Errorf("Status() = %+v, want running with no restart counted", st)
	}
}

func TestRecycle_KillsAProcessThatIgnoresTERMAfterGrace(t *testing.T) {
	spec := testSpec(t, map[string]string{"CHILD_IGNORE_TERM": "1"})
	i := startInstance(t, spec, Options{})
	waitReady(t, spec.Port)
	old := i.Process()
	if err := i.Recycle(context.Background(), 100*time.Millisecond); err != nil {
		t.Fatalf("Recycle: %v", err)
	}
	if !processGone(old.PID) {
		t.Errorf("old process %d survived its SIGKILL", old.PID)
	}
	if st := i.Status(); st.LastExit != "signal: killed" {
		t.Errorf("LastExit = %q, want the kill that ended the old process", st.LastExit)
	}
}

func TestRecycle_IsRefusedOnceSupervisionEnded(t *testing.T) {
	spec := testSpec(t, nil)
	i := startInstance(t, spec, Options{})
	if err := i.Stop(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := i.Recycle(context.Background(), time.Second); !errors.Is(err, ErrNotSupervised) {
		t.Errorf("Recycle after Stop = %v, want ErrNotSupervised", err)
	}
}

func TestStart_RunsAJobWithNoPortAndItsName(t *testing.T) {
	spec := testSpec(t, map[string]string{"CHILD_PRINT_ENV": "1"})
	spec.Port, spec.Job = 0, "maildrop"
	i := startInstance(t, spec, Options{})
	var lines []string
	waitFor(t, "the job's environment in its log", func() bool {
		lines = i.LastLogLines(20)
		return slices.Contains(lines, "JOB=maildrop")
	})
	if !slices.Contains(lines, "PORT=") {
		t.Errorf("log = %q, want no PORT for a job", lines)
	}

	spec.Port = 8080
	if _, err := Start(spec, Options{}); err == nil {
		t.Errorf("Start of a job with a port succeeded; want it refused")
	}
}
