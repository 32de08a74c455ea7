package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// restartUnderLoad runs deploy restart while 16 clients send requests, and
// returns what they saw and the restart's output.
func (s *site) restartUnderLoad() (*loadReport, string) {
	s.t.Helper()
	stop := make(chan struct{})
	rep, wg := s.runLoad(16, stop)
	waitFor(s.t, "load before the restart", func() bool {
		rep.mu.Lock()
		defer rep.mu.Unlock()
		return len(rep.bySlot) > 0
	})
	out := s.must("restart", "demo", "--reason", "test")
	close(stop)
	wg.Wait()
	return rep, out
}

func TestRestart_TwoInstancesRestartOneAtATimeUnderLoadFailingNoRequest(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 2})
	s.liveOn("blue")
	before := s.status().pids("blue")

	rep, out := s.restartUnderLoad()

	if len(rep.failures) > 0 {
		t.Errorf("%d requests failed during the restart; first: %+v\n%s", len(rep.failures), rep.failures[0], out)
	}
	if rep.bySlot["blue"] == 0 || len(rep.bySlot) != 1 {
		t.Errorf("answers by slot %v, want all from blue (restarted in place)", rep.bySlot)
	}
	st := s.status()
	after := st.pids("blue")
	if st.Live != "blue" || len(after) != 2 || slices.Contains(after, 0) || after[0] == before[0] || after[1] == before[1] {
		t.Errorf("after the restart live %s pids %v (before %v); want blue with two new processes", st.Live, after, before)
	}
	if !strings.Contains(out, "restarted the 2 instances of blue") {
		t.Errorf("output %q does not say what was restarted", out)
	}
	e := s.lastEntry("restart")
	if e["result"] != "ok" || e["reason"] != "test" || !strings.HasPrefix(e["detail"].(string), "rolling: #1 ") {
		t.Errorf("history entry %v, want a rolling restart that went well", e)
	}
}

func TestRestart_OneInstanceGoesThroughTheIdleSlotUnderLoadFailingNoRequest(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.liveOn("blue")

	rep, out := s.restartUnderLoad()

	if len(rep.failures) > 0 {
		t.Errorf("%d requests failed during the restart; first: %+v\n%s", len(rep.failures), rep.failures[0], out)
	}
	st := s.status()
	if st.Live != "green" || st.Previous != "blue" {
		t.Errorf("after the restart live %s previous %s; want the same release live on green, blue warm", st.Live, st.Previous)
	}
	if got := s.lastEntry("restart"); got["detail"] != "via idle slot" || got["to"] != "green" || got["result"] != "ok" {
		t.Errorf("history entry %v, want a restart via the idle slot to green", got)
	}
	if resp, body := s.request("demo.test", "/"); resp.StatusCode != 200 || slotOf(body) != "green" {
		t.Errorf("after the restart: %d %q, want green answering", resp.StatusCode, body)
	}
}

func TestRestart_ScheduleRestartsTheLiveSlotAndHistorySaysSo(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 2, service: `restart { schedule = "@every 1s" }`})
	s.liveOn("blue")
	before := s.status().pids("blue")
	var entry map[string]any
	waitFor(t, "a scheduled restart in the history", func() bool {
		for _, e := range s.history() {
			if e["op"] == "restart" && e["actor"] == "schedule" && e["result"] == "ok" {
				entry = e
				return true
			}
		}
		return false
	})
	if entry["reason"] != "scheduled: @every 1s" {
		t.Errorf("scheduled restart entry %v, want its schedule as the reason", entry)
	}
	if after := s.status().pids("blue"); slices.Equal(after, before) {
		t.Errorf("pids %v unchanged after a scheduled restart", after)
	}
	if !strings.Contains(s.must("status", "demo"), "next scheduled restart:") {
		t.Errorf("status does not show the next scheduled restart")
	}
}

func TestRestart_WithoutALiveSlotIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{})
	_, errOut, code := s.run("restart", "demo")
	if code != 1 || !strings.Contains(errOut, "no running live slot") {
		t.Errorf("restart without a live slot: exit %d %q, want 1 and why", code, errOut)
	}
	if _, errOut, code := s.run("restart", "nope"); code != 2 || !strings.Contains(errOut, `no service named "nope"`) {
		t.Errorf("restart of an unknown service: exit %d %q", code, errOut)
	}
}

func TestRestart_AnInstanceThatComesBackBrokenStaysOutOfRotationAndNoVisitorSeesIt(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 2, service: `check "home" {
    http {
      path          = "/"
      body_contains = "service=demo"
    }
  }`})
	s.liveOn("blue")
	// The demo app reads fail-after as it starts: restarted instances
	// answer 500 to everything but their ready path.
	if err := os.WriteFile(filepath.Join(s.dir, "fail-after"), []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	rep, wg := s.runLoad(8, stop)
	_, errOut, code := s.run("restart", "demo")
	close(stop)
	wg.Wait()

	if code != 1 || !strings.Contains(errOut, "restart of demo stopped at instance 1") || !strings.Contains(errOut, "stays out of rotation") {
		t.Errorf("restart onto a broken start: exit %d %q, want it stopped at the first instance", code, errOut)
	}
	if len(rep.failures) > 0 {
		t.Errorf("%d requests failed while the broken instance was out of rotation; first: %+v", len(rep.failures), rep.failures[0])
	}
	for range 10 {
		if resp, body := s.request("demo.test", "/"); resp.StatusCode != 200 || !strings.Contains(body, "instance=2") {
			t.Fatalf("after the stopped restart: %d %q, want instance 2 answering alone", resp.StatusCode, body)
		}
	}
	if out := s.must("status", "demo"); !strings.Contains(out, "blue instance 1: out of rotation for a restart") {
		t.Errorf("status does not say instance 1 is out of rotation:\n%s", out)
	}
	if e := s.lastEntry("restart"); e["result"] != "failed" {
		t.Errorf("history entry %v, want the failed restart", e)
	}
}
