package e2e

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
)

func TestSwitch_ToAStoppedSlotIsRefusedAndTrafficStaysPut(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.liveOn("blue")

	_, errOut, code := s.run("switch", "demo", "--to", "green")
	if code != 1 || !strings.Contains(errOut, "slot green is not running") || !strings.Contains(errOut, "deploy up demo --slot green") {
		t.Fatalf("switch to a stopped slot: exit %d, %q; want exit 1 naming the reason and the fix", code, errOut)
	}
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "blue" {
		t.Fatalf("after the refused switch traffic went to %q (%v), want blue", slot, err)
	}
	if st := s.status(); st.Live != "blue" || st.Previous != "" {
		t.Fatalf("status after refused switch: live %q previous %q", st.Live, st.Previous)
	}
}

func TestSwitch_ToAnUnreadySlotIsRefusedUnlessForced(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")

	// A stopped (SIGSTOP) process keeps its port open but answers nothing:
	// the way a wedged application server looks from outside.
	green := s.status().pids("green")
	for _, pid := range green {
		syscall.Kill(pid, syscall.SIGSTOP)
	}
	_, errOut, code := s.run("switch", "demo", "--to", "green")
	for _, pid := range green {
		syscall.Kill(pid, syscall.SIGCONT)
	}
	if code != 1 || !strings.Contains(errOut, "slot green is not ready") {
		t.Fatalf("switch to an unready slot: exit %d, %q", code, errOut)
	}
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "blue" {
		t.Fatalf("after the refused switch traffic went to %q (%v), want blue", slot, err)
	}

	for _, pid := range green {
		syscall.Kill(pid, syscall.SIGSTOP)
	}
	out, errOut, code := s.run("switch", "demo", "--to", "green", "--force", "--reason", "probe is wrong")
	for _, pid := range green {
		syscall.Kill(pid, syscall.SIGCONT)
	}
	if code != 0 || !strings.Contains(out, "(forced)") {
		t.Fatalf("forced switch: exit %d, %q %q", code, out, errOut)
	}
	h := s.must("history", "demo")
	if !strings.Contains(h, "forced") || !strings.Contains(h, "reason: probe is wrong") {
		t.Fatalf("history does not record the forced switch and its reason:\n%s", h)
	}
}

func TestRollback_AfterThePreviousSlotWasStoppedIsRefusedClearly(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.liveOn("blue")

	_, errOut, code := s.run("rollback", "demo")
	if code != 1 || !strings.Contains(errOut, "no previous slot") {
		t.Fatalf("rollback with no previous slot: exit %d, %q", code, errOut)
	}

	s.liveOn("green")
	s.must("down", "demo", "--slot", "blue")
	_, errOut, code = s.run("rollback", "demo")
	if code != 1 || !strings.Contains(errOut, "previous slot blue is no longer running") {
		t.Fatalf("rollback to a stopped slot: exit %d, %q", code, errOut)
	}
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "green" {
		t.Fatalf("after the refused rollback traffic went to %q (%v), want green", slot, err)
	}
}

func TestDown_OfTheLiveSlotIsRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.liveOn("blue")
	_, errOut, code := s.run("down", "demo", "--slot", "blue")
	if code != 1 || !strings.Contains(errOut, "slot blue is live") {
		t.Fatalf("down of the live slot: exit %d, %q", code, errOut)
	}
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "blue" {
		t.Fatalf("after the refused down: %q %v", slot, err)
	}
}

func TestUp_OfTheLiveSlotIsRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.liveOn("blue")
	before := s.status().pids("blue")
	_, errOut, code := s.run("up", "demo", "--slot", "blue")
	if code != 1 || !strings.Contains(errOut, "slot blue is live") {
		t.Fatalf("up of the live slot: exit %d, %q", code, errOut)
	}
	if after := s.status().pids("blue"); after[0] != before[0] {
		t.Fatalf("the refused up restarted the live slot: pid %d -> %d", before[0], after[0])
	}
}

func TestUp_ThatNeverBecomesReadyFailsWithTheInstanceLogAndLeavesNothingRunning(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1, ready: "2s", command: `["sh", "-c", "echo starting on $PORT; echo cannot open database >&2; exit 3"]`})
	_, errOut, code := s.run("up", "demo", "--slot", "blue")
	if code != 1 || !strings.Contains(errOut, "did not become ready") || !strings.Contains(errOut, "cannot open database") {
		t.Fatalf("up of a crashing stack: exit %d, %q", code, errOut)
	}
	st := s.status()
	for _, sl := range st.Slots {
		if sl.Slot == "blue" && (sl.Status != "failed" || len(sl.Instances) != 0) {
			t.Fatalf("blue after a failed up: %+v", sl)
		}
	}
}
