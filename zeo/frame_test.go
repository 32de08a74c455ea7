package zeo_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"deploy/zeo"
)

func TestReadFrame_ReadsTheCapturedGreetingAndFramesInSequence(t *testing.T) {
	for _, protocol := range protocols {
		var stream bytes.Buffer
		c := capture(t, protocol)
		for _, f := range c.Frames {
			stream.Write(f.Bytes)
		}
		for _, f := range c.Frames {
			got, err := zeo.ReadFrame(&stream, 0)
			if err != nil {
				t.Fatalf("%s %s: %v", protocol, f.Label, err)
			}
			if !bytes.Equal(got, f.Payload()) {
				t.Fatalf("%s %s: got %q", protocol, f.Label, got)
			}
		}
		if _, err := zeo.ReadFrame(&stream, 0); err != io.EOF {
			t.Fatalf("after the last frame: err = %v, want io.EOF", err)
		}
	}
	if got, _ := zeo.ReadFrame(bytes.NewReader(frame(t, "M5", "greeting (raw)").Bytes), 0); string(got) != "M5" {
		t.Fatalf("greeting = %q", got)
	}
}

func TestWriteFrame_WritesTheCapturedBytes(t *testing.T) {
	for _, label := range []string{"version echo (raw)", "ruok", "ruok reply"} {
		f := frame(t, "Z5", label)
		var buf bytes.Buffer
		if err := zeo.WriteFrame(&buf, f.Payload()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), f.Bytes) {
			t.Fatalf("%s: wrote % x", label, buf.Bytes())
		}
	}
}

func TestReadFrame_AFrameCutShortIsAnError(t *testing.T) {
	cases := map[string][]byte{
		"header cut":  {0, 0},
		"payload cut": {0, 0, 0, 10, 'a', 'b', 'c'},
	}
	for name, b := range cases {
		_, err := zeo.ReadFrame(bytes.NewReader(b), 0)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%s: err = %v, want io.ErrUnexpectedEOF", name, err)
		}
	}
	got, err := zeo.ReadFrame(bytes.NewReader([]byte{0, 0, 0, 0}), 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty frame: %q, %v", got, err)
	}
}

func TestReadFrame_ALengthOverTheLimitIsRefusedBeforeReadingThePayload(t *testing.T) {
	r := bytes.NewReader(append([]byte{0x01, 0x00, 0x00, 0x01}, "rest"...))
	_, err := zeo.ReadFrame(r, 0)
	var fse *zeo.FrameSizeError
	if !errors.As(err, &fse) || fse.Size != 16<<20+1 {
		t.Fatalf("err = %v, want a *FrameSizeError", err)
	}
	if err.Error() != "frame of 16777217 bytes is over the 16 MiB limit" {
		t.Fatalf("message %q", err)
	}
	if r.Len() != 4 {
		t.Fatalf("read %d payload bytes past the header", 4-r.Len())
	}
	if _, err := zeo.ReadFrame(bytes.NewReader([]byte{0, 0, 0, 101}), 100); err == nil ||
		!strings.Contains(err.Error(), "over the 100 bytes limit") {
		t.Fatalf("small limit: %v", err)
	}
}

// allocated reports the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A peer that announces a large frame and sends little must not make us
// allocate what it announced.
func TestReadFrame_AnnouncedLengthIsNotAllocatedUntilItArrives(t *testing.T) {
	n := allocated(func() {
		_, err := zeo.ReadFrame(bytes.NewReader([]byte{0x00, 0xff, 0xff, 0xff, 'x'}), 0)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("err = %v", err)
		}
	})
	if n > 1<<20 {
		t.Fatalf("allocated %d bytes for a frame that brought 1", n)
	}
}

// Both encodings let a value announce its size; the decoders must check it
// against the bytes that are there before allocating anything for it.
func TestDecodeMessage_AnnouncedSizesAreNotAllocatedUntilTheyArrive(t *testing.T) {
	cases := []struct{ name, protocol, payload string }{
		{"msgpack array32", "M5", "\x94\x01\x00\xa6.reply\xdd\xff\xff\xff\xff\x01"},
		{"msgpack bin32", "M5", "\x94\x01\x00\xa6.reply\xc6\xff\xff\xff\xff\x01"},
		{"msgpack str32", "M5", "\x94\x01\x00\xa6.reply\xdb\xff\xff\xff\xff\x01"},
		{"msgpack map32", "M5", "\x94\x01\x00\xa6.reply\xdf\xff\xff\xff\xff\x01"},
		{"pickle binbytes", "Z5", "\x80\x03(K\x01K\x00X\x06\x00\x00\x00.replyB\xff\xff\xff\x7f\x01"},
		{"pickle binunicode", "Z5", "\x80\x03(K\x01K\x00X\x06\x00\x00\x00.replyX\xff\xff\xff\x7f\x01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := allocated(func() {
				if _, err := zeo.DecodeMessage(c.protocol, []byte(c.payload)); err == nil {
					t.Error("decoded a message whose value is cut")
				}
			})
			if n > 1<<20 {
				t.Fatalf("allocated %d bytes for a %d-byte message", n, len(c.payload))
			}
		})
	}
}

func TestDecodeMessage_HostileNestingAndSharingAreErrorsNotCrashes(t *testing.T) {
	deep := strings.Repeat("\x91", 100000) + "\xc0"
	// A pickle that doubles one value forty times through its memo: 2^40
	// leaves from a few hundred bytes.
	var doubling strings.Builder
	doubling.WriteString("\x80\x03X\x00\x00\x00\x00q\x00")
	for range 40 {
		doubling.WriteString("h\x00h\x00\x86q\x00")
	}
	doubling.WriteString(".")
	cases := []struct{ name, protocol, payload, want string }{
		{"msgpack nesting", "M5", "\x94\x01\x00\xa6.reply" + deep, "deeper than"},
		{"pickle nesting", "Z5", "\x80\x03N" + strings.Repeat("\x85", 100000) + ".", "deeper than"},
		{"pickle sharing", "Z5", doubling.String(), "more often than a ZEO message"},
		{"pickle dict holding itself", "Z5", "\x80\x03}q\x00K\x01h\x00s.", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := zeo.DecodeMessage(c.protocol, []byte(c.payload))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}
