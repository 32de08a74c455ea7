package stacks

import (
	"log/slog"
	"sync"
	"testing"
	"time"
)

func TestInstance_RestartsAnExitedProcessWithGrowingBackoff(t *testing.T) {
	spec := testSpec(t, map[string]string{"CHILD_EXIT_AFTER": "0"})
	var got starts
	logs := &recorder{}
	i := startInstance(t, spec, Options{Logger: slog.New(logs), OnStart: got.record})

	// Readers race with the supervising goroutine; -race checks the locking.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_, _, _ = i.Status(), i.Process(), i.Restarts()
				time.Sleep(time.Millisecond)
			}
		}
	}()
	waitFor(t, "three restarts", func() bool { return i.Restarts() >= 3 })
	close(stop)
	readers.Wait()

	ids := got.all()
	if len(ids) < 4 {
		t.Fatalf("OnStart called %d times, want the first start and 3 restarts", len(ids))
	}
	seen := map[int]bool{}
	for _, id := range ids {
		if id.PID == 0 || id.StartTime == 0 || seen[id.PID] {
			t.Errorf("OnStart got %+v: want a new PID with a start time each time (all: %v)", id, ids)
		}
		seen[id.PID] = true
	}
	if st := i.Status(); st.LastExit != "exit status 3" {
		t.Errorf("LastExit = %q, want %q", st.LastExit, "exit status 3")
	}

	delays := logs.attrs("instance exited", "restart_in")
	if len(delays) < 3 {
		t.Fatalf("logged %d exits with a restart delay, want 3 or more", len(delays))
	}
	for n := 1; n < len(delays); n++ {
		// With multiplier 2 and jitter 0.2 every delay is at least 1.6/1.2
		// times the one before, whatever the random draw.
		if prev, cur := delays[n-1].Duration(), delays[n].Duration(); cur <= prev {
			t.Errorf("restart delay %d = %v, not longer than the one before (%v)", n, cur, prev)
		}
	}
	if first := delays[0].Duration(); first < 150*time.Millisecond || first > 250*time.Millisecond {
		t.Errorf("first restart delay = %v, want about 200ms", first)
	}
	for _, key := range []string{"pid", "status", "uptime"} {
		if len(logs.attrs("instance exited", key)) < 3 {
			t.Errorf("exit log lines lack %q", key)
		}
	}
	if len(logs.attrs("instance restarted", "pid")) < 3 {
		t.Errorf("restarts were not logged with their pid")
	}
}

func TestRestartDelay_ResetsAfterAProcessStayedUp(t *testing.T) {
	b := newBackOff()
	var last time.Duration
	for range 6 {
		last = restartDelay(b, time.Second)
	}
	if last < 4*time.Second {
		t.Fatalf("sixth delay of a crash loop = %v, want it grown to several seconds", last)
	}
	if d := restartDelay(b, stableUptime); d > 250*time.Millisecond {
		t.Errorf("delay after %v of uptime = %v, want it back at about 200ms", stableUptime, d)
	}
	for range 20 {
		last = restartDelay(b, 0)
	}
	if last > 36*time.Second {
		t.Errorf("delay after a long crash loop = %v, want it capped near 30s", last)
	}
}
