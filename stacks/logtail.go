package stacks

import (
	"bytes"
	"io"
	"os"
	"slices"
	"strings"
)

const (
	tailChunk    = 8 << 10 // read this much at a time, backwards from the end
	maxTailBytes = 1 << 20 // never read more than this, however long the lines
)

// LastLogLines returns the last n lines of the instance's log file, oldest
// first; nil when the file cannot be read. Only the end of the file is read.
func (i *Instance) LastLogLines(n int) []string {
	lines, err := TailLog(i.spec.LogPath, n)
	if err != nil {
		return nil
	}
	return lines
}

// TailLog reads backwards from the end of the file at path until it holds n
// complete lines, the start of the file, or maxTailBytes.
func TailLog(path string, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	var chunks [][]byte // newest first
	read, newlines := 0, 0
	// n complete lines need n+1 newlines before the file's end: one ending
	// each line plus the one ending the line before (or the trailing one).
	for off > 0 && read < maxTailBytes && newlines <= n {
		size := min(int64(tailChunk), off)
		off -= size
		buf := make([]byte, size)
		if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
			return nil, err
		}
		chunks = append(chunks, buf)
		read += len(buf)
		newlines += bytes.Count(buf, []byte{'\n'})
	}
	slices.Reverse(chunks)
	text := strings.TrimSuffix(string(bytes.Join(chunks, nil)), "\n")
	if text == "" {
		return nil, nil
	}
	lines := strings.Split(text, "\n")
	// Stopped before the start of the file: the first line may be cut.
	if off > 0 {
		lines = lines[1:]
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}
