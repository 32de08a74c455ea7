package zeo_test

import (
	"path/filepath"
	"testing"

	"deploy/zeo/zeotest"
)

// protocols are the two encodings every fixture test runs in.
var protocols = []string{"M5", "Z5"}

// capture loads the real ZEO 6 wire capture for protocol.
func capture(t testing.TB, protocol string) *zeotest.Capture {
	t.Helper()
	c, err := zeotest.LoadCapture(filepath.Join("testdata", "wire", "wire-"+protocol+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Frames) < 10 {
		t.Fatalf("capture %s: %d frames, want the 10 of the fixture", protocol, len(c.Frames))
	}
	return c
}

// frame is one labelled frame of the capture for protocol.
func frame(t testing.TB, protocol, label string) zeotest.Frame {
	t.Helper()
	f, err := capture(t, protocol).Frame(label)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
