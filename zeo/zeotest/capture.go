package zeotest

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Frame is one frame of a wire capture, header included.
type Frame struct {
	FromServer bool   // S->C; false for C->S
	Label      string // "greeting (raw)", "register('1',True)", "error reply" ...
	Bytes      []byte // the frame as sent: 4-byte length, then the payload
}

// Payload is the frame without its length header.
func (f Frame) Payload() []byte { return f.Bytes[4:] }

// Capture is a wire capture file (zeo/testdata/wire/wire-*.txt): the bytes a
// real ZEO server and a raw socket client exchanged, in order.
type Capture struct {
	Frames []Frame
}

// captureLine matches `S->C register reply   24 bytes  hex=00 00 ...`.
var captureLine = regexp.MustCompile(`^(S->C|C->S) (.+?)\s+(\d+) bytes\s+hex=([0-9a-f ]+)$`)

// LoadCapture reads a capture file. Lines that carry no bytes (the decoded
// values, the repr lines) are for people and are skipped.
func LoadCapture(path string) (*Capture, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &Capture{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		m := captureLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(m[4], " ", ""))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		size, _ := strconv.Atoi(m[3])
		if size != len(b) || len(b) < 4 {
			return nil, fmt.Errorf("%s:%d: says %s bytes, holds %d", path, n, m[3], len(b))
		}
		c.Frames = append(c.Frames, Frame{FromServer: m[1] == "S->C", Label: m[2], Bytes: b})
	}
	return c, sc.Err()
}

// Frame returns the frame with the given label, or an error naming it.
func (c *Capture) Frame(label string) (Frame, error) {
	for _, f := range c.Frames {
		if f.Label == label {
			return f, nil
		}
	}
	return Frame{}, fmt.Errorf("capture has no frame %q", label)
}
