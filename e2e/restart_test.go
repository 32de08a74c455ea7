package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestServe_RestartKeepsServingTheSameLiveSlotWithTheSameProcesses(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{})
	s.liveOn("blue")
	s.liveOn("green")
	before := s.status()

	s.stop(syscall.SIGTERM)
	s.start()
	after := s.status()
	if after.Live != "green" || after.Previous != "blue" {
		t.Fatalf("after restart: live %q previous %q, want green and blue", after.Live, after.Previous)
	}
	for _, slot := range []string{"blue", "green"} {
		if !slices.Equal(before.pids(slot), after.pids(slot)) {
			t.Errorf("%s instances were restarted: %v -> %v; they should be adopted", slot, before.pids(slot), after.pids(slot))
		}
	}
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "green" {
		t.Fatalf("after restart traffic went to %q (%v)", slot, err)
	}
	s.must("rollback", "demo")
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "blue" {
		t.Fatalf("rollback after restart: traffic went to %q (%v)", slot, err)
	}
}

func TestServe_StopStacksEndsTheInstancesAndTheNextControllerStartsThemAgain(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.stop(syscall.SIGTERM)
	s.start("--stop-stacks")
	s.liveOn("blue")
	pid := s.status().pids("blue")[0]

	s.stop(syscall.SIGTERM)
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("instance %d still runs after serve --stop-stacks stopped", pid)
	}
	s.start()
	st := s.status()
	if st.Live != "blue" || len(st.pids("blue")) != 1 || st.pids("blue")[0] == pid {
		t.Fatalf("next controller: live %q pids %v; want blue started again", st.Live, st.pids("blue"))
	}
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "blue" {
		t.Fatalf("after restart: %q %v", slot, err)
	}
}

// kill -9 of the controller at any moment of a switch, at random points (20
// times in the suite, 100 under make soak), leaves a state that is the old or the new one, never a corrupt
// one, and the next controller serves what that state says, with the same
// instance processes. How long the next controller took to serve again is
// logged (go test -v), not asserted: the machines are shared.
func TestServe_Kill9DuringSwitchesNeverCorruptsState(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")
	before := s.status()

	// Visitors of the instances' own ports never notice the controller's
	// deaths: the instances run in their own process groups.
	port := s.instancePort("blue")
	stop := make(chan struct{})
	direct := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				direct <- nil
				return
			default:
			}
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
			if err != nil {
				direct <- err
				return
			}
			resp.Body.Close()
		}
	}()

	var back []time.Duration
	for i := range soakRounds(20, 100) {
		target := []string{"green", "blue"}[i%2]
		done := make(chan struct{})
		go func() {
			s.run("switch", "demo", "--to", target)
			close(done)
		}()
		// A switch's client and controller take some 10-40ms here: the
		// kill lands before, inside, or after it.
		time.Sleep(time.Duration(rand.IntN(40_000)) * time.Microsecond)
		s.serve.Process.Kill()
		s.serve.Wait()
		<-done

		var snap struct {
			Services map[string]struct {
				Live string `json:"live"`
			} `json:"services"`
		}
		b, err := os.ReadFile(filepath.Join(s.dir, "state", "state.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &snap); err != nil {
			t.Fatalf("kill %d: state file is corrupt: %v\n%s", i, err, b)
		}
		live := snap.Services["demo"].Live
		if live != "blue" && live != "green" {
			t.Fatalf("kill %d: state names live slot %q", i, live)
		}

		restarted := time.Now()
		s.start()
		if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != live {
			t.Fatalf("kill %d: restarted controller serves %q (%v), state says %q", i, slot, err, live)
		}
		back = append(back, time.Since(restarted))
		if st := s.status(); st.Live != live {
			t.Fatalf("kill %d: restarted controller says live %q, state file %q", i, st.Live, live)
		}
		if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != live {
			t.Fatalf("kill %d: restarted controller serves %q (%v), state says %q", i, slot, err, live)
		}
		after := s.status()
		for _, slot := range []string{"blue", "green"} {
			if !slices.Equal(before.pids(slot), after.pids(slot)) {
				t.Fatalf("kill %d: %s instances were restarted (%v -> %v) instead of adopted", i, slot, before.pids(slot), after.pids(slot))
			}
		}
	}
	close(stop)
	if err := <-direct; err != nil {
		t.Fatalf("a request straight to an instance failed while the controller was killed: %v", err)
	}
	slices.Sort(back)
	t.Logf("after kill -9, the next controller served the live slot in: median %s, slowest %s (of %d)",
		back[len(back)/2].Round(time.Millisecond), back[len(back)-1].Round(time.Millisecond), len(back))
}

func TestServe_SIGTERMLetsInFlightRequestsFinish(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.liveOn("blue")

	type result struct {
		slot string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		slot, err := s.get(&http.Client{Timeout: 30 * time.Second}, "/slow?ms=1500")
		slow <- result{slot, err}
	}()
	time.Sleep(300 * time.Millisecond)
	s.stop(syscall.SIGTERM)
	if r := <-slow; r.err != nil || r.slot != "blue" {
		t.Fatalf("request in flight during SIGTERM: slot %q, err %v; want 200 from blue", r.slot, r.err)
	}
	if _, err := s.get(&http.Client{Timeout: 2 * time.Second}, "/"); err == nil {
		t.Fatal("the proxy still accepts requests after the controller stopped")
	}
}

func TestUp_OfARunningIdleSlotReplacesItsProcesses(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")
	before := s.status().pids("green")
	out := s.must("up", "demo", "--slot", "green")
	after := s.status().pids("green")
	if !strings.Contains(out, "was restarted") || len(after) != 1 || after[0] == before[0] {
		t.Fatalf("second up of green: %q, pids %v -> %v", out, before, after)
	}
	if err := syscall.Kill(before[0], 0); err == nil {
		t.Fatalf("the replaced process %d still runs", before[0])
	}
	s.must("switch", "demo", "--to", "green")
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "green" {
		t.Fatalf("after switching to the replaced slot: %q %v", slot, err)
	}
}
