package stacks

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTailLines_ReadsTheLastLinesFromTheEnd(t *testing.T) {
	var b strings.Builder
	var all []string
	for n := range 5000 { // several chunks
		line := fmt.Sprintf("line %d %s", n, strings.Repeat("x", n%37))
		all = append(all, line)
		b.WriteString(line + "\n")
	}
	long := writeFile(t, b.String())
	for _, tc := range []struct {
		name    string
		content string
		n       int
		want    []string
	}{
		{"tail of a long file", b.String(), 3, all[len(all)-3:]},
		{"many lines across chunks", b.String(), 1200, all[len(all)-1200:]},
		{"more lines than the file has", "a\nb\n", 10, []string{"a", "b"}},
		{"no trailing newline", "a\nb\nc", 2, []string{"b", "c"}},
		{"empty lines count", "a\n\nb\n", 2, []string{"", "b"}},
		{"empty file", "", 3, nil},
		{"zero lines", "a\n", 0, nil},
	} {
		path := long
		if tc.content != b.String() {
			path = writeFile(t, tc.content)
		}
		got, err := TailLog(path, tc.n)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %d lines %q..., want %d", tc.name, len(got), head(got), len(tc.want))
		}
	}
}

func TestTailLines_StopsReadingAtTheCap(t *testing.T) {
	huge := strings.Repeat("y", 3*maxTailBytes) + "\nlast\n"
	got, err := TailLog(writeFile(t, huge), 5)
	if err != nil {
		t.Fatal(err)
	}
	// The cut first line is dropped rather than returned as if it were whole.
	if !slices.Equal(got, []string{"last"}) {
		t.Errorf("got %d lines, want only the complete last one", len(got))
	}
}

func TestTailLines_MissingFileIsAnError(t *testing.T) {
	if _, err := TailLog(filepath.Join(t.TempDir(), "nope.log"), 3); err == nil {
		t.Error("no error for a missing file")
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.log")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func head(lines []string) []string {
	return lines[:min(3, len(lines))]
}
