package stacks

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInstance_FailsOnACrashLoopInsteadOfRestartingForever(t *testing.T) {
	spec := testSpec(t, map[string]string{"CHILD_EXIT_AFTER": "0"})
	var got starts
	logs := &recorder{}
	i := startInstance(t, spec, Options{
		Logger:    slog.New(logs),
		OnStart:   got.record,
		CrashLoop: CrashLoopPolicy{MaxExits: 3, Within: 10 * time.Second},
	})
	select {
	case <-i.Failed():
	case <-time.After(20 * time.Second):
		t.Fatalf("not failed after 20s; Status() = %+v", i.Status())
	}

	st := i.Status()
	t.Logf("Status() = %+v", st)
	if !st.Failed || st.Running || st.PID != 0 || st.Restarts != 2 {
		t.Errorf("Status() = %+v, want failed, not running, after 2 restarts", st)
	}
	if !strings.HasPrefix(st.FailReason, "crash loop: exited 3 times in ") ||
		!strings.HasSuffix(st.FailReason, "; last: exit status 3") {
		t.Errorf("FailReason = %q, want the crash loop explained", st.FailReason)
	}
	if reasons := logs.attrs("instance failed", "reason"); len(reasons) != 1 || reasons[0].String() != st.FailReason {
		t.Errorf("logged reasons = %v, want the fail reason once", reasons)
	}
	// The supervising goroutine returns just after it closed Failed().
	waitFor(t, "supervision to end", func() bool {
		select {
		case <-i.done:
			return true
		default:
			return false
		}
	})

	// Long enough for another restart to have happened, were there one.
	time.Sleep(2 * (backoffInitial + pollInterval))
	ids := got.all()
	if len(ids) != 3 || i.Restarts() != 2 {
		t.Errorf("%d starts and %d restarts after failing, want 3 and 2", len(ids), i.Restarts())
	}
	for _, id := range ids {
		if !processGone(id.PID) {
			t.Errorf("pid %d of the failed instance is still running", id.PID)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := i.Stop(ctx, 10*time.Second); err != nil {
		t.Errorf("Stop on a failed instance: %v", err)
	}
	if st := i.Status(); !st.Failed {
		t.Errorf("Stop forgot why the instance failed: %+v", st)
	}
}

func TestInstance_KeepsRestartingAProcessThatExitsNowAndThen(t *testing.T) {
	// Exits at least 0.6s+backoff apart: never 3 within a second.
	spec := testSpec(t, map[string]string{"CHILD_EXIT_AFTER": "600ms"})
	i := startInstance(t, spec, Options{CrashLoop: CrashLoopPolicy{MaxExits: 3, Within: time.Second}})
	waitFor(t, "three restarts", func() bool { return i.Restarts() >= 3 })
	select {
	case <-i.Failed():
		t.Fatalf("failed: %+v", i.Status())
	default:
	}
	if st := i.Status(); st.Failed || st.FailReason != "" {
		t.Errorf("Status() = %+v, want not failed", st)
	}
}

func TestInstance_CountsFailedRestartsTowardsACrashLoop(t *testing.T) {
	spec := testSpec(t, map[string]string{"CHILD_EXIT_AFTER": "0"})
	spec.Dir = filepath.Join(spec.Dir, "work")
	if err := os.Mkdir(spec.Dir, 0o750); err != nil {
		t.Fatal(err)
	}
	i := startInstance(t, spec, Options{CrashLoop: CrashLoopPolicy{MaxExits: 3, Within: 10 * time.Second}})
	// Gone before the first restart (200ms away at least): every restart fails.
	if err := os.Remove(spec.Dir); err != nil {
		t.Fatal(err)
	}
	select {
	case <-i.Failed():
	case <-time.After(20 * time.Second):
		t.Fatalf("not failed after 20s; Status() = %+v", i.Status())
	}
	st := i.Status()
	if st.Restarts != 0 || !strings.Contains(st.FailReason, "; last: restart failed: working directory") {
		t.Errorf("Status() = %+v, want no restart and the failed start explained", st)
	}
}

func TestExitWindow_CountsOnlyExitsWithinTheWindow(t *testing.T) {
	w := &exitWindow{policy: CrashLoopPolicy{}.withDefaults()}
	if w.policy.MaxExits != 5 || w.policy.Within != time.Minute {
		t.Fatalf("default policy = %+v, want 5 exits within 60s", w.policy)
	}
	t0 := time.Now()
	// One exit every 16s: at most 4 in any minute, for as long as it goes on.
	for n := range 20 {
		if reason, loop := w.add(t0.Add(time.Duration(n)*16*time.Second), "exit status 1"); loop {
			t.Fatalf("exit %d every 16s made a crash loop: %s", n+1, reason)
		}
	}
	w = &exitWindow{policy: CrashLoopPolicy{}.withDefaults()}
	for n := range 4 {
		if _, loop := w.add(t0.Add(time.Duration(n)*3*time.Second), "exit status 3"); loop {
			t.Fatalf("exit %d made a crash loop", n+1)
		}
	}
	reason, loop := w.add(t0.Add(12*time.Second), "exit status 3")
	if want := "crash loop: exited 5 times in 12s; last: exit status 3"; !loop || reason != want {
		t.Errorf("fifth exit in 12s: %q, %v; want %q", reason, loop, want)
	}
}

func TestRoundSpan_KeepsSpansReadable(t *testing.T) {
	for d, want := range map[time.Duration]string{
		12345 * time.Millisecond:  "12s",
		3249 * time.Millisecond:   "3.2s",
		451234 * time.Microsecond: "451ms",
	} {
		if got := roundSpan(d).String(); got != want {
			t.Errorf("roundSpan(%v) = %s, want %s", d, got, want)
		}
	}
}
