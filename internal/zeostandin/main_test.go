package main_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"deploy/internal/testwait"
	"deploy/zeo"
)

// build compiles the command the way the controller's tests use it.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "zeostandin")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func read(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

var listening = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

func TestStandIn_ServesLogsReopensItsLogAndStopsOnSIGTERM(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "zeo.log")
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-protocol", "Z5", "-storages", "main,session", "-log", logPath)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	testwait.For(t, "the start line", func() bool { return listening.MatchString(read(logPath)) })
	addr := listening.FindStringSubmatch(read(logPath))[1]

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := zeo.Probe(ctx, addr, []string{"main", "session"})
	if err != nil || !rep.OK || rep.Protocol != "Z5" {
		t.Fatalf("probe: %+v, %v", rep, err)
	}
	testwait.For(t, "connection lines", func() bool { return strings.Count(read(logPath), "msg=connection") >= 3 })

	// Rotation: the file is renamed away, SIGUSR2 makes a new one.
	rotated := logPath + ".1"
	if err := os.Rename(logPath, rotated); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the reopened log", func() bool { return strings.Contains(read(logPath), "log reopened") })
	if _, err := zeo.Probe(ctx, addr, []string{"main"}); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "a connection line in the new log", func() bool {
		return strings.Contains(read(logPath), "msg=connection")
	})
	before := strings.Count(read(rotated), "msg=connection")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0", waitErr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20s after SIGTERM")
	}
	if got := strings.Count(read(rotated), "msg=connection"); got != before {
		t.Fatalf("the rotated log got %d more connection lines after the reopen", got-before)
	}
	if !strings.Contains(read(logPath), "msg=stopping") {
		t.Fatalf("no stop line in\n%s", read(logPath))
	}
	if _, err := zeo.Probe(ctx, addr, []string{"main"}); err == nil {
		t.Fatal("the stand-in still answers after it exited")
	}
}

func TestStandIn_RefusesAnUnknownProtocol(t *testing.T) {
	cmd := exec.Command(build(t), "-addr", "127.0.0.1:0", "-protocol", "Z4")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), `protocol "Z4"`) {
		t.Fatalf("exit %v, output %s", err, out)
	}
}
