package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"deploy/orchestrator"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// newControllerRe reads the pid of the successor from deploy upgrade.
var newControllerRe = regexp.MustCompile(`controller (\d+) answers on the control socket`)

// upgrade runs deploy upgrade and returns the new controller's pid, which
// is stopped when the test ends (it is no child of the harness).
func (s *site) upgrade() int {
	s.t.Helper()
	out := s.must("upgrade")
	m := newControllerRe.FindStringSubmatch(out)
	if m == nil {
		s.t.Fatalf("deploy upgrade said %q; want the new controller's pid", out)
	}
	pid, _ := strconv.Atoi(m[1])
	s.t.Cleanup(func() { stopProcess(pid) })
	return pid
}

// stopProcess sends SIGTERM and waits (at most 40s) until pid is gone.
func stopProcess(pid int) {
	syscall.Kill(pid, syscall.SIGTERM)
	for range 400 {
		if gone(pid) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

// gone reports whether pid has exited: it no longer exists, or it is a
// zombie nobody has reaped yet (the harness reaps its own child only when
// the test ends).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the command, which is in parentheses.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	return strings.HasPrefix(strings.TrimSpace(rest), "Z")
}

// controllerPID asks the control socket which process answers.
func (s *site) controllerPID() int {
	s.t.Helper()
	info, err := orchestrator.NewClient(filepath.Join(s.dir, "state", "control.sock")).Controller(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return info.PID
}

func TestUpgrade_ANewControllerTakesOverUnderLoadFailingNoRequest(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{})
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")
	before := s.status()
	oldPID := s.serve.Process.Pid

	stop := make(chan struct{})
	rep, wg := s.runLoad(16, stop)
	waitFor(t, "load before the upgrade", func() bool {
		rep.mu.Lock()
		defer rep.mu.Unlock()
		return rep.bySlot["blue"] > 0
	})
	// A request in flight through the old controller when it hands over
	// finishes there.
	slow := make(chan error, 1)
	go func() {
		_, err := s.get(&http.Client{Timeout: 30 * time.Second}, "/slow?ms=1500")
		slow <- err
	}()
	newPID := s.upgrade()
	waitFor(t, "the old controller to exit", func() bool { return gone(oldPID) })
	time.Sleep(200 * time.Millisecond) // more load, on the new controller alone
	close(stop)
	wg.Wait()

	if err := <-slow; err != nil {
		t.Errorf("the request in flight during the upgrade failed: %v", err)
	}
	if len(rep.failures) > 0 {
		t.Errorf("%d of %d requests failed during the upgrade; first: %+v", len(rep.failures), rep.bySlot["blue"]+len(rep.failures), rep.failures[0])
	}
	if newPID == oldPID {
		t.Fatalf("the same controller (%d) answers after the upgrade", oldPID)
	}
	after := s.status()
	for _, slot := range []string{"blue", "green"} {
		if b, a := before.pids(slot), after.pids(slot); len(a) != 2 || a[0] != b[0] || a[1] != b[1] {
			t.Errorf("%s pids %v after the upgrade, want the same instances %v adopted", slot, a, b)
		}
	}
	s.must("switch", "demo", "--to", "green")
	if resp, body := s.request("demo.test", "/"); resp.StatusCode != 200 || slotOf(body) != "green" {
		t.Errorf("after a switch on the new controller: %d %q", resp.StatusCode, body)
	}
	if e := s.lastControllerEntry("upgrade"); e["result"] != "ok" {
		t.Errorf("history entry %v, want the upgrade", e)
	}

	// SIGUSR1 does the same.
	syscall.Kill(newPID, syscall.SIGUSR1)
	waitFor(t, "the second controller to hand over", func() bool { return gone(newPID) })
	waitFor(t, "a third controller to answer", func() bool { _, _, code := s.run("status"); return code == 0 })
	third := s.controllerPID()
	t.Cleanup(func() { stopProcess(third) })
	if third == newPID || third == oldPID {
		t.Errorf("controller %d answers after SIGUSR1, want a third one", third)
	}
	if resp, body := s.request("demo.test", "/"); resp.StatusCode != 200 || slotOf(body) != "green" {
		t.Errorf("after the SIGUSR1 upgrade: %d %q", resp.StatusCode, body)
	}
}
