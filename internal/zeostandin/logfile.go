package main

import (
	"os"
	"sync"
)

// logFile is a log writer that can reopen its file: logrotate renames the
// file and signals, and every line after the signal lands in the new file.
type logFile struct {
	mu   sync.Mutex
	path string // empty: standard error, never reopened
	f    *os.File
}

func openLog(path string) (*logFile, error) {
	l := &logFile{path: path, f: os.Stderr}
	if path == "" {
		return l, nil
	}
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	l.f = f
	return l, nil
}

func open(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

// Reopen switches to a freshly opened file at the same path. On failure the
// old file stays in use, so no line is lost.
func (l *logFile) Reopen() error {
	if l.path == "" {
		return nil
	}
	f, err := open(l.path)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	return old.Close()
}

func (l *logFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.path == "" {
		return nil
	}
	return l.f.Close()
}
