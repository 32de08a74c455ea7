package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestServe_LogFileIsReopenedOnSIGUSR2(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	logPath := filepath.Join(s.dir, "deploy.log")
	s.stop(syscall.SIGTERM)
	s.start("--log-file", logPath)
	s.liveOn("blue")

	rotated := logPath + ".1"
	if err := os.Rename(logPath, rotated); err != nil {
		t.Fatal(err)
	}
	s.serve.Process.Signal(syscall.SIGUSR2)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.must("up", "demo", "--slot", "green")
		s.must("switch", "demo", "--to", "green")
		b, _ := os.ReadFile(logPath)
		if strings.Contains(string(b), "msg=switch") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after SIGUSR2 the controller did not log to a new %s; it has %q", logPath, b)
		}
		s.must("switch", "demo", "--to", "blue")
	}
	if b, _ := os.ReadFile(rotated); !strings.Contains(string(b), "controller ready") {
		t.Fatalf("the rotated file lost what was logged before: %q", b)
	}
}
