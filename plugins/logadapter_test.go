package plugins

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func TestLineWriter_AssemblesLinesAndCutsLongOnes(t *testing.T) {
	var lines []string
	w := newLineWriter(func(l string) { lines = append(lines, l) })
	w.Write([]byte("one\ntw"))
	w.Write([]byte("o\r\n\nthree "))
	w.Write([]byte(strings.Repeat("x", maxLogLineBytes) + "\nfour\xff\n"))
	if len(lines) != 5 || !slices.Equal(lines[:3], []string{"one", "two", ""}) {
		t.Fatalf("lines = %.40q", lines)
	}
	if len(lines[3]) != maxLogLineBytes+len(" [cut]") || !strings.HasPrefix(lines[3], "three x") || !strings.HasSuffix(lines[3], "x [cut]") {
		t.Errorf("long line: %d bytes, %.20q…%q", len(lines[3]), lines[3], lines[3][len(lines[3])-10:])
	}
	if lines[4] != "four\uFFFD" {
		t.Errorf("bad UTF-8 line = %q", lines[4])
	}
}

func TestPluginOutput_RemembersThePanicForTheExitReport(t *testing.T) {
	out := newPluginOutput(slog.New(slog.NewTextHandler(&logBuffer{}, nil)))
	out.stderr.Write([]byte("starting\npanic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:3\n"))
	if got := out.lastWords(); got != "panic: boom" {
		t.Errorf("last words = %q", got)
	}
	out = newPluginOutput(slog.New(slog.NewTextHandler(&logBuffer{}, nil)))
	out.stderr.Write([]byte(`{"@level":"error","@message":"cannot bind"}` + "\n" + `{"@level":"info","@message":"bye"}` + "\n"))
	if got := out.lastWords(); got != "cannot bind" {
		t.Errorf("last words = %q", got)
	}
}

func TestHCLogAdapter_ReportsOffSoGoPluginLeavesStderrToUs(t *testing.T) {
	a := newHCLogAdapter(slog.New(slog.NewTextHandler(&logBuffer{}, nil)))
	if a.Named("x").GetLevel().String() != "off" {
		t.Errorf("level = %s", a.Named("x").GetLevel())
	}
}
