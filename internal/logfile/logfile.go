// Package logfile is a log file that can be reopened at the same path, for
// logrotate: after it moved the file away, Reopen starts a fresh one while
// writers keep writing.
package logfile

import (
	"fmt"
	"os"
	"sync"
)

// File is an append-only log file; it is safe for concurrent writers.
type File struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// Open opens (creating it, mode 0640) the file at path for appending.
func Open(path string) (*File, error) {
	l := &File{path: path}
	if err := l.Reopen(); err != nil {
		return nil, err
	}
	return l, nil
}

// Path is the file's path.
func (l *File) Path() string { return l.path }

func (l *File) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

// Reopen closes the current file and opens the path again.
func (l *File) Reopen() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// Close closes the file; writes after Close fail.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}
