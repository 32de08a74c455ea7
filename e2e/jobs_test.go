package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// jobSite is a site with a singleton job that notes which slot started it
// and runs until stopped, handed over once the spool directory is empty.
func jobSite(t *testing.T) *site {
	return newSite(t, siteOptions{service: `
  job "maildrop" {
    command = ["sh", "-c", "echo $$ >> started-$SLOT; exec sleep 600"]
    drain {
      file_empty = "spool"
      interval   = "50ms"
      timeout    = "60s"
    }
  }`})
}

type jobStatus struct {
	Job           string    `json:"job"`
	Slot          string    `json:"slot"`
	PID           int       `json:"pid"`
	Running       bool      `json:"running"`
	DrainingSince time.Time `json:"draining_since"`
}

func (s *site) jobs() []jobStatus {
	s.t.Helper()
	var st []struct {
		Jobs []jobStatus `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(s.must("status", "demo", "--json")), &st); err != nil {
		s.t.Fatal(err)
	}
	return st[0].Jobs
}

// onlyJobOn waits until exactly one job process runs, from slot, and
// returns it.
func (s *site) onlyJobOn(slot string) jobStatus {
	s.t.Helper()
	var jobs []jobStatus
	waitFor(s.t, "the job on "+slot+" alone", func() bool {
		jobs = s.jobs()
		return len(jobs) == 1 && jobs[0].Slot == slot && jobs[0].Running && jobs[0].DrainingSince.IsZero()
	})
	return jobs[0]
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestJobs_RunFromTheLiveSlotOnlyAndHandOverOnceTheSpoolIsEmpty(t *testing.T) {
	t.Parallel()
	s := jobSite(t)
	s.must("up", "demo", "--slot", "blue")
	if jobs := s.jobs(); len(jobs) != 0 {
		t.Fatalf("jobs before any slot is live: %+v, want none", jobs)
	}
	s.must("switch", "demo", "--to", "blue")
	blue := s.onlyJobOn("blue")
	s.must("up", "demo", "--slot", "green")
	if _, err := os.Stat(filepath.Join(s.dir, "started-green")); err == nil {
		t.Fatalf("the job started from green, which is not live")
	}

	spool := filepath.Join(s.dir, "spool")
	if err := os.MkdirAll(filepath.Join(spool, "new"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(spool, "new", "message"), []byte("To: ops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.must("switch", "demo", "--to", "green")

	var green jobStatus
	waitFor(t, "green's job beside blue's draining one", func() bool {
		jobs := s.jobs()
		if len(jobs) != 2 || jobs[0].Slot != "green" || !jobs[0].Running || jobs[1].Slot != "blue" || jobs[1].DrainingSince.IsZero() {
			return false
		}
		green = jobs[0]
		return true
	})
	// Many drain intervals pass: blue's job waits as long as its spool has mail.
	for range 10 {
		time.Sleep(50 * time.Millisecond)
		if !alive(blue.PID) {
			t.Fatalf("blue's job %d was stopped while its spool still held a message", blue.PID)
		}
	}
	if !strings.Contains(s.must("status", "demo"), "job maildrop: drains on blue") {
		t.Errorf("status does not say the job drains on blue")
	}

	if err := os.Remove(filepath.Join(spool, "new", "message")); err != nil {
		t.Fatal(err)
	}
	if got := s.onlyJobOn("green"); got.PID != green.PID {
		t.Errorf("green's job is %d, want the one started at the switch (%d)", got.PID, green.PID)
	}
	waitFor(t, "blue's job to end", func() bool { return !alive(blue.PID) })
	e := s.lastEntry("job")
	if e["result"] != "ok" || !strings.HasPrefix(e["detail"].(string), "maildrop handed over from blue to green: drained in ") {
		t.Errorf("history entry %v, want the hand-over drained", e)
	}

	// A rollback hands the job back the same way.
	s.must("rollback", "demo")
	back := s.onlyJobOn("blue")
	if back.PID == blue.PID || !alive(back.PID) {
		t.Errorf("after the rollback the job is %d (first blue job %d), want a new one running", back.PID, blue.PID)
	}
	waitFor(t, "green's job to end", func() bool { return !alive(green.PID) })
}

func TestJobs_AQuickRollbackKeepsTheDrainingJobAndTheControllerAdoptsIt(t *testing.T) {
	t.Parallel()
	s := jobSite(t)
	s.liveOn("blue")
	blue := s.onlyJobOn("blue")
	s.must("up", "demo", "--slot", "green")
	if err := os.MkdirAll(filepath.Join(s.dir, "spool"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "spool", "message"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.must("switch", "demo", "--to", "green")
	waitFor(t, "blue's job draining", func() bool { return len(s.jobs()) == 2 })
	s.must("rollback", "demo")
	var green int
	waitFor(t, "green's job draining and blue's live again", func() bool {
		jobs := s.jobs()
		if len(jobs) != 2 || jobs[0].Slot != "blue" || jobs[0].PID != blue.PID || !jobs[0].DrainingSince.IsZero() || jobs[1].Slot != "green" {
			return false
		}
		green = jobs[1].PID
		return true
	})

	// A restarted controller adopts both and goes on draining green's.
	s.stop(syscall.SIGTERM)
	s.start()
	if jobs := s.jobs(); len(jobs) != 2 || jobs[0].PID != blue.PID || jobs[1].PID != green {
		t.Fatalf("after a controller restart jobs %+v, want blue's %d live and green's %d draining, adopted", jobs, blue.PID, green)
	}
	os.Remove(filepath.Join(s.dir, "spool", "message"))
	if got := s.onlyJobOn("blue"); got.PID != blue.PID {
		t.Errorf("job on blue is %d, want the first one (%d) kept throughout", got.PID, blue.PID)
	}
	waitFor(t, "green's job to end", func() bool { return !alive(green) })
}
