package stacks

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestStart_PassesDeployVariablesAndAppendsOutputToTheLogFile(t *testing.T) {
	spec := testSpec(t, map[string]string{
		"CHILD_PRINT_ENV": "1",
		"GREETING":        "hello",
		"PORT":            "1", // the deploy variables win over spec.Env
	})
	var got starts
	i := startInstance(t, spec, Options{OnStart: got.record})
	waitReady(t, spec.Port)

	if ids := got.all(); len(ids) != 1 || ids[0] != i.Process() {
		t.Errorf("OnStart calls = %v, want exactly the first process %v", ids, i.Process())
	}
	want := []string{
		"PORT=" + strconv.Itoa(spec.Port),
		"JOB=",
		"INSTANCE=2",
		"SLOT=blue",
		"SERVICE=shop",
		"VAR_DIR=" + spec.VarDir,
		"RELEASE=r42",
		"GREETING=hello",
		"STDIN=/dev/null",
		"STDOUT=" + spec.LogPath,
	}
	var lines []string
	waitFor(t, "the environment in the log", func() bool {
		lines = i.LastLogLines(len(want))
		return len(lines) == len(want)
	})
	if !slices.Equal(lines, want) {
		t.Errorf("LastLogLines(%d) =\n%q\nwant\n%q", len(want), lines, want)
	}
	if first := i.LastLogLines(100)[0]; !strings.HasPrefix(first, "child started pid=") {
		t.Errorf("first log line = %q, want the child's greeting", first)
	}

	umask := os.FileMode(syscall.Umask(0))
	syscall.Umask(int(umask))
	for path, mode := range map[string]os.FileMode{
		filepath.Dir(spec.VarDir):  os.ModeDir | 0o750&^umask,
		spec.VarDir:                os.ModeDir | 0o750&^umask,
		filepath.Dir(spec.LogPath): os.ModeDir | 0o750&^umask,
		spec.LogPath:               0o640 &^ umask,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("stat: %v", err)
			continue
		}
		if fi.Mode() != mode {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode(), mode)
		}
	}

	st := i.Status()
	if !st.Running || st.PID != i.Process().PID || st.Adopted || st.Restarts != 0 || st.Since.IsZero() {
		t.Errorf("Status() = %+v, want running, not adopted, no restarts", st)
	}
}

func TestStart_RunsTheProcessInItsOwnProcessGroup(t *testing.T) {
	spec := testSpec(t, nil)
	i := startInstance(t, spec, Options{})
	pid := i.Process().PID
	pgid, err := syscall.Getpgid(pid)
	if err != nil {
		t.Fatal(err)
	}
	if pgid != pid {
		t.Errorf("pgid of the instance = %d, want its own pid %d", pgid, pid)
	}
	if pgid == syscall.Getpgrp() {
		t.Errorf("the instance shares the test's process group %d", pgid)
	}
}

func TestStart_FailsClearlyWhenTheCommandIsMissing(t *testing.T) {
	for _, command := range []string{"no-such-command-4711", "./bin/no-such-app", "/nonexistent/app"} {
		spec := testSpec(t, nil)
		spec.Command = []string{command, "--flag"}
		i, err := Start(spec, Options{})
		if err == nil {
			stopOnCleanup(t, i)
			t.Errorf("Start(%q) succeeded", command)
			continue
		}
		t.Logf("Start(%q): %v", command, err)
		if !strings.Contains(err.Error(), command) || !strings.Contains(err.Error(), "shop/blue#2") {
			t.Errorf("Start(%q) error %q does not name the command and the instance", command, err)
		}
	}
}

func TestStart_FailsClearlyWhenTheWorkingDirectoryIsMissing(t *testing.T) {
	spec := testSpec(t, nil)
	spec.Dir = filepath.Join(spec.Dir, "missing")
	i, err := Start(spec, Options{})
	if err == nil {
		stopOnCleanup(t, i)
		t.Fatal("Start succeeded")
	}
	t.Logf("Start: %v", err)
	if !strings.Contains(err.Error(), "working directory") || !strings.Contains(err.Error(), spec.Dir) {
		t.Errorf("error %q does not name the working directory", err)
	}
}

func TestStart_RejectsAnIncompleteSpecWithAllProblems(t *testing.T) {
	_, err := Start(InstanceSpec{Service: "shop", Slot: "blue", Index: 0}, Options{})
	if err == nil {
		t.Fatal("Start succeeded")
	}
	t.Logf("Start: %v", err)
	for _, want := range []string{"index 0", "port 0", "command is empty", "var dir", "log path"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestSpec_ReturnsACopy(t *testing.T) {
	spec := testSpec(t, nil)
	i := startInstance(t, spec, Options{})
	got := i.Spec()
	got.Env["X"] = "changed"
	got.Command[0] = "changed"
	if again := i.Spec(); again.Env["X"] != "" || again.Command[0] != spec.Command[0] {
		t.Errorf("changing the returned spec changed the instance's: %+v", again)
	}
}
