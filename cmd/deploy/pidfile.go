package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/google/renameio/v2"
)

// pidFile is the controller's --pid-file, read by logrotate's postrotate
// (see logrotate.go) and by scripts that signal the controller. A nil
// *pidFile (no --pid-file) does nothing.
type pidFile struct{ path string }

// claimPIDFile checks path before the controller starts anything: a file
// that names another controller still running is refused, because
// overwriting it would send that controller's signals to this one. A file
// left by a controller that died is stale and is replaced at write. A
// successor (deploy upgrade) passes its predecessor's pid, which the file
// may name: it is replaced once that controller has gone.
func claimPIDFile(path string, predecessor int) (*pidFile, error) {
	if path == "" {
		return nil, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("--pid-file %s: %w", path, err)
	}
	if fi, err := os.Stat(filepath.Dir(abs)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("--pid-file %s: directory %s does not exist; create it, writable by the controller's user", path, filepath.Dir(abs))
	}
	if pid, ok := readPID(abs); ok && pid != os.Getpid() && pid != predecessor && controllerRuns(pid) {
		return nil, fmt.Errorf("pid file %s names process %d, a deploy controller that is still running; stop it first, or give this controller another --pid-file", abs, pid)
	}
	return &pidFile{path: abs}, nil
}

// write records this process, atomically: a reader sees the old file or
// the new one, never an empty or half-written one.
func (p *pidFile) write() error {
	if p == nil {
		return nil
	}
	if err := renameio.WriteFile(p.path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

// remove deletes the file at a clean stop, unless it names another process
// by then (someone started a second controller with the same file).
func (p *pidFile) remove() {
	if p == nil {
		return
	}
	if pid, ok := readPID(p.path); ok && pid == os.Getpid() {
		os.Remove(p.path)
	}
}

// readPID reads the process id a pid file holds; ok is false when there is
// no file or it holds no process id.
func readPID(path string) (pid int, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, err == nil && pid > 0
}

// controllerRuns tells whether process pid is alive and is a "deploy serve".
// The second half matters after a crash: the dead controller's pid may
// belong to an unrelated process by now, and refusing to start for it would
// keep the proxy down. Without /proc, any live process counts.
func controllerRuns(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) || !procMounted()
	}
	for _, arg := range bytes.Split(cmdline, []byte{0}) {
		if string(arg) == "serve" {
			return true
		}
	}
	return false
}

func procMounted() bool {
	_, err := os.Stat("/proc/self/cmdline")
	return err == nil
}
