package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/google/renameio/v2"
)

// Files in a state directory.
const (
	snapshotFile = "state.json"
	historyFile  = "history.jsonl"
	lockFile     = "lock"
)

// ErrLocked means another controller already owns the state directory.
var ErrLocked = errors.New("state directory is in use by another deploy controller")

// Dir is the Store kept in a local directory.
type Dir struct {
	path string
	lock *os.File
	mu   sync.Mutex // serialises history appends within this process
}

// OpenDir creates the directory if needed (mode 0700: it holds the control
// socket and who did what) and takes its exclusive lock, so two controllers
// can never write one state.
func OpenDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(path, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	d := &Dir{path: path, lock: f}
	if err := d.endHistoryLine(); err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

// endHistoryLine terminates a last history line that a crash cut short, so
// the next entry starts on a line of its own instead of being lost with it.
func (d *Dir) endHistoryLine() error {
	f, err := os.OpenFile(filepath.Join(d.path, historyFile), os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open history: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, fi.Size()-1); err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	if last[0] == '\n' {
		return nil
	}
	if _, err := f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("repair history: %w", err)
	}
	return f.Sync()
}

// Path is the directory's path.
func (d *Dir) Path() string { return d.path }

// Load reads the snapshot; a directory without one yields an empty snapshot.
func (d *Dir) Load() (*Snapshot, error) { return ReadSnapshot(d.path) }

// ReadSnapshot reads the snapshot of a state directory without taking its
// lock: what a controller taking over from a running one (an upgrade) routes
// by until the old one has let go. Snapshots are replaced atomically, so the
// read sees one whole snapshot.
func ReadSnapshot(dir string) (*Snapshot, error) {
	b, err := os.ReadFile(filepath.Join(dir, snapshotFile))
	if errors.Is(err, os.ErrNotExist) {
		return &Snapshot{Services: map[string]*Service{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read state %s: %w", filepath.Join(dir, snapshotFile), err)
	}
	if s.Services == nil {
		s.Services = map[string]*Service{}
	}
	return &s, nil
}

// Save replaces the snapshot atomically: a temporary file is written and
// synced, renamed over the old one, and the directory is synced so that the
// rename itself survives a power cut.
func (d *Dir) Save(s *Snapshot) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := renameio.WriteFile(filepath.Join(d.path, snapshotFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return syncDir(d.path)
}

// Append adds one entry to the history and syncs it.
func (d *Dir) Append(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode history entry: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := os.OpenFile(filepath.Join(d.path, historyFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open history: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("append history: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync history: %w", err)
	}
	return f.Close()
}

// History reads the history. A line cut short by a crash is skipped rather
// than making the whole history unreadable.
func (d *Dir) History(service string, limit int) ([]Entry, error) {
	f, err := os.Open(filepath.Join(d.path, historyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		var e Entry
		if len(line) == 0 || json.Unmarshal(line, &e) != nil {
			continue
		}
		if service == "" || e.Service == service {
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// Close releases the directory's lock.
func (d *Dir) Close() error { return d.lock.Close() }

func syncDir(path string) error {
	dir, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sync state directory: %w", err)
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("sync state directory: %w", err)
	}
	return nil
}
