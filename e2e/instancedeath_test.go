package e2e

import (
	"net/http"
	"syscall"
	"testing"
	"time"
)

// instanceOf returns instance n (from 0) of a slot as status reports it.
func (s *site) instanceOf(slot string, n int) map[string]any {
	s.t.Helper()
	for _, sl := range s.statusRaw()["slots"].([]any) {
		sl := sl.(map[string]any)
		if sl["slot"] == slot {
			return sl["instances"].([]any)[n].(map[string]any)
		}
	}
	s.t.Fatalf("no slot %s in status", slot)
	return nil
}

func TestInstanceDeath_WithASiblingNoClientSeesAnErrorAndTheInstanceIsRestarted(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 2})
	s.liveOn("blue")
	pid := s.status().pids("blue")[0]

	stop := make(chan struct{})
	rep, wg := s.runLoad(16, stop)
	waitFor(t, "load before the kill", func() bool {
		rep.mu.Lock()
		defer rep.mu.Unlock()
		return rep.bySlot["blue"] > 100
	})
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the supervisor to start instance 1 again", func() bool {
		in := s.instanceOf("blue", 0)
		return in["running"] == true && in["pid"].(float64) != float64(pid) && in["restarts"].(float64) >= 1
	})
	waitFor(t, "more load after the restart", func() bool {
		rep.mu.Lock()
		defer rep.mu.Unlock()
		return rep.bySlot["blue"] > 2000
	})
	close(stop)
	wg.Wait()
	if len(rep.failures) > 0 {
		t.Errorf("%d requests failed when an instance with a sibling was killed; first: %+v", len(rep.failures), rep.failures[0])
	}
	if in := s.instanceOf("blue", 0); in["last_exit"] != "signal: killed" {
		t.Errorf("status of the killed instance %v, want its last exit", in)
	}
}

func TestInstanceDeath_AloneItShowsInStatusAndIsRestarted(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1, service: `
  health {
    interval = "200ms"
    timeout  = "100ms"
  }`})
	s.liveOn("blue")
	pid := s.status().pids("blue")[0]
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the killed instance in status", func() bool {
		in := s.instanceOf("blue", 0)
		return in["last_exit"] == "signal: killed" && in["restarts"].(float64) >= 1
	})
	waitFor(t, "the restarted instance to serve", func() bool {
		slot, err := s.get(&http.Client{Timeout: 5 * time.Second}, "/")
		return err == nil && slot == "blue"
	})
	if in := s.instanceOf("blue", 0); in["pid"].(float64) == float64(pid) {
		t.Errorf("status still names the killed process %d", pid)
	}
}
