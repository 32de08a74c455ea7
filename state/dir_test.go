package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDir_SaveThenLoadRoundTrips(t *testing.T) {
	d := openTestDir(t, t.TempDir())
	s := &Snapshot{}
	svc := s.Service("demo")
	svc.Live, svc.Previous = "green", "blue"
	svc.Slots["green"] = &Slot{Status: SlotRunning, Instances: []Instance{{Index: 1, Port: 9201, PID: 42, StartTime: 7}}}
	if err := d.Save(s); err != nil {
		t.Fatal(err)
	}
	got, err := d.Load()
	if err != nil {
		t.Fatal(err)
	}
	g := got.Services["demo"]
	if g.Live != "green" || g.Previous != "blue" || g.Slots["green"].Instances[0].PID != 42 {
		t.Fatalf("loaded %+v", g)
	}
	if fi, _ := os.Stat(filepath.Join(d.Path(), snapshotFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestDir_LoadOfAnEmptyDirectoryIsAnEmptySnapshot(t *testing.T) {
	s, err := openTestDir(t, t.TempDir()).Load()
	if err != nil || len(s.Services) != 0 {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func TestDir_CorruptSnapshotIsAnErrorNotAnEmptyState(t *testing.T) {
	dir := t.TempDir()
	d := openTestDir(t, dir)
	os.WriteFile(filepath.Join(dir, snapshotFile), []byte(`{"services":`), 0o600)
	if _, err := d.Load(); err == nil {
		t.Fatal("a corrupt state file must not load as empty: the live slot would be forgotten")
	}
}

func TestDir_SecondOpenIsRefusedWhileLocked(t *testing.T) {
	dir := t.TempDir()
	d := openTestDir(t, dir)
	if _, err := OpenDir(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	d.Close()
	again, err := OpenDir(dir)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	again.Close()
}

func TestDir_HistoryIsAppendOnlyFilteredAndLimited(t *testing.T) {
	d := openTestDir(t, t.TempDir())
	for i, svc := range []string{"a", "b", "a", "a"} {
		if err := d.Append(Entry{Time: time.Unix(int64(i), 0), Service: svc, Op: "switch", Result: ResultOK}); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := d.History("", 0)
	if len(all) != 4 {
		t.Fatalf("all: %d entries", len(all))
	}
	a, _ := d.History("a", 2)
	if len(a) != 2 || a[0].Time.Unix() != 2 || a[1].Time.Unix() != 3 {
		t.Fatalf("last two of a: %+v", a)
	}
}

func TestDir_HistorySkipsALineCutShortByACrash(t *testing.T) {
	d := openTestDir(t, t.TempDir())
	d.Append(Entry{Service: "a", Op: "up", Result: ResultOK})
	f, _ := os.OpenFile(filepath.Join(d.Path(), historyFile), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"service":"a","op":"swi`)
	f.Close()
	got, err := d.History("a", 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("got %d entries, %v", len(got), err)
	}

	// The next controller repairs the cut line, so its first entry survives.
	d.Close()
	d = openTestDir(t, d.Path())
	d.Append(Entry{Service: "a", Op: "rollback", Result: ResultOK})
	got, _ = d.History("a", 0)
	if len(got) != 2 || got[1].Op != "rollback" {
		t.Fatalf("after repair: %+v", got)
	}
}

func openTestDir(t *testing.T, path string) *Dir {
	t.Helper()
	d, err := OpenDir(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
