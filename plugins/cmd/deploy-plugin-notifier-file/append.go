package main

import (
	"fmt"
	"io"
	"os"
)

// eventFileMode keeps the event log from other users: events name actors
// and carry error text.
const eventFileMode = 0o640

// appendLine appends line to the file at path, creating it if missing. The
// line goes out in a single write to a file opened with O_APPEND, so lines
// from notifiers running at once (one process per plugin use) never
// interleave.
func appendLine(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, eventFileMode)
	if err != nil {
		return fmt.Errorf("append event to %s: %w", path, err)
	}
	n, err := f.Write(line)
	if err == nil && n < len(line) {
		err = io.ErrShortWrite
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append event to %s: %w", path, err)
	}
	return nil
}
