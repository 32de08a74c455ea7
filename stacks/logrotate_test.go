package stacks

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRotateLog_KeepsCopiesAndAnAppendingWriterGoesOnAtTheStart(t *testing.T) {
	path := writeFile(t, "")
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	// Opened like spawn opens it for the child.
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, line := range []string{"one\n", "two\n", "three\n", "four\n"} {
		if _, err := w.WriteString(line); err != nil {
			t.Fatal(err)
		}
		if err := RotateLog(path, 2); err != nil {
			t.Fatalf("RotateLog: %v", err)
		}
	}
	if _, err := w.WriteString("five\n"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{path: "five\n", path + ".1": "four\n", path + ".2": "three\n"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("read: %v", err)
			continue
		}
		if string(b) != want {
			t.Errorf("%s = %q, want %q (no hole of zeros, newest copy in .1)", name, b, want)
		}
		if fi, _ := os.Stat(name); fi.Mode() != 0o640 {
			t.Errorf("%s has mode %v, want the log's 0640", name, fi.Mode())
		}
	}
	for _, gone := range []string{path + ".3", path + ".rotating"} {
		if _, err := os.Stat(gone); err == nil {
			t.Errorf("%s exists, want only 2 copies kept and no temporary file", gone)
		}
	}
}

func TestRotateLog_FailsWithoutTouchingAnything(t *testing.T) {
	path := writeFile(t, "x\n")
	if err := RotateLog(path, 0); err == nil || !strings.Contains(err.Error(), "keep 0") {
		t.Errorf("RotateLog(keep 0) = %v, want an error", err)
	}
	missing := path + ".missing"
	if err := RotateLog(missing, 3); err == nil {
		t.Error("RotateLog of a missing file succeeded")
	}
	if _, err := os.Stat(missing + ".1"); err == nil {
		t.Error("a copy of a missing file was made")
	}
	if b, _ := os.ReadFile(path); string(b) != "x\n" {
		t.Errorf("log changed to %q", b)
	}
}

var spamLine = regexp.MustCompile(`^spam (\d{8}) x+$`)

func TestInstance_RotatesAGrowingLogWhileTheChildKeepsWritingToIt(t *testing.T) {
	before := runtime.NumGoroutine()
	spec := testSpec(t, map[string]string{"CHILD_SPAM": "1"})
	logs := &recorder{}
	i := startInstance(t, spec, Options{Logger: slog.New(logs), Log: LogPolicy{MaxSize: 32 << 10, Keep: 2}})
	waitFor(t, "three rotations", func() bool { return len(logs.attrs("log rotated", "size")) >= 3 })
	waitFor(t, "output after the rotation", func() bool {
		fi, err := os.Stat(spec.LogPath)
		return err == nil && fi.Size() > 4*spamLineLen
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := i.Stop(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}

	// Oldest to newest; lines between a copy and its truncate may be lost,
	// but the order must hold and every line must be whole.
	var prev int = -1
	for _, name := range []string{spec.LogPath + ".2", spec.LogPath + ".1", spec.LogPath} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if bytes.IndexByte(b, 0) >= 0 {
			t.Errorf("%s has NUL bytes: the child wrote past a truncated end", name)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		first, last := -1, -1
		for _, line := range lines {
			m := spamLine.FindStringSubmatch(line)
			if m == nil {
				if !strings.HasPrefix(line, "child started") && !strings.Contains(line, "closed") {
					t.Errorf("%s: unexpected line %q", name, line)
				}
				continue
			}
			n, _ := strconv.Atoi(m[1])
			if len(line) != spamLineLen-1 {
				t.Errorf("%s: cut line %q", name, line)
			}
			if first < 0 {
				first = n
			}
			last = n
		}
		if first <= prev {
			t.Errorf("%s starts at line %d, not after the older file's last %d", name, first, prev)
		}
		t.Logf("%s: %d bytes, spam %d..%d", name, len(b), first, last)
		prev = last
	}
	if _, err := os.Stat(spec.LogPath + ".3"); err == nil {
		t.Error("a third copy is kept, want 2")
	}
	waitFor(t, "the goroutine count to drop back", func() bool {
		return runtime.NumGoroutine() <= before
	})
}
