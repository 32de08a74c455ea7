package zeo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// DefaultMaxFrame bounds a frame's payload. ZEO's own messages for a probe are
// a few hundred bytes; the bound is there so that a confused or hostile peer
// announcing a huge length cannot make us allocate it.
const DefaultMaxFrame = 16 << 20

// growChunk is how much of a frame is allocated before its bytes arrive: a
// peer that announces 16 MiB and sends 3 bytes costs us 64 KiB, not 16 MiB.
const growChunk = 64 << 10

// FrameSizeError reports a frame whose announced length is over the limit.
// It is returned before anything of the payload is read or allocated.
type FrameSizeError struct {
	Size uint32 // the length the peer announced
	Max  int    // the limit in force
}

func (e *FrameSizeError) Error() string {
	return fmt.Sprintf("frame of %d bytes is over the %s limit", e.Size, byteSize(e.Max))
}

// byteSize writes a limit the way people say it: "16 MiB", "1 KiB", "300 bytes".
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// ReadFrame reads one ZEO frame: a 4-byte big-endian length, then that many
// bytes. max bounds the length (DefaultMaxFrame when max <= 0). A stream that
// ends before the first byte gives io.EOF; one that ends inside a frame gives
// io.ErrUnexpectedEOF, so callers can tell a clean close from a cut one.
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(head[:])
	if uint64(size) > uint64(max) {
		return nil, &FrameSizeError{Size: size, Max: max}
	}
	n := int(size)
	// Grow with the bytes that actually arrive rather than trusting the
	// announced length; the largest buffer ever held is the frame itself.
	buf := make([]byte, min(n, growChunk))
	got := 0
	for {
		k, err := io.ReadFull(r, buf[got:])
		got += k
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("frame of %d bytes cut after %d: %w", n, got, err)
		}
		if got == n {
			return buf, nil
		}
		next := make([]byte, min(n, 2*len(buf)))
		copy(next, buf)
		buf = next
	}
}

// WriteFrame writes payload as one ZEO frame, header and payload in a single
// Write so that a frame is never interleaved or half-sent by us.
func WriteFrame(w io.Writer, payload []byte) error {
	if uint64(len(payload)) > math.MaxUint32 {
		return fmt.Errorf("frame of %d bytes does not fit a 4-byte length", len(payload))
	}
	buf := make([]byte, 4+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(len(payload)))
	copy(buf[4:], payload)
	_, err := w.Write(buf)
	return err
}
