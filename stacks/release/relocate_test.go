package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestPrefixMatcher_ReplacesWholePathsOnly(t *testing.T) {
	m := newPrefixMatcher("/srv/build", "/data/real/build")
	P := Placeholder
	cases := map[string]string{
		"/srv/build":                         P,
		"#!/srv/build/bin/python\n":          "#!" + P + "/bin/python\n",
		"'/srv/build'":                       "'" + P + "'",
		`"/srv/build"`:                       `"` + P + `"`,
		"PATH=/srv/build/bin:/srv/build:x":   "PATH=" + P + "/bin:" + P + ":x",
		"cd /srv/build; ls /srv/build\t.":    "cd " + P + "; ls " + P + "\t.",
		"/srv/build2 /srv/build.old /srv/b":  "/srv/build2 /srv/build.old /srv/b",
		"/home/srv/build x/srv/build":        "/home/srv/build x/srv/build",
		"/data/real/build/x and /srv/build/": P + "/x and " + P + "/",
		"nothing here":                       "nothing here",
	}
	for in, want := range cases {
		got, found := m.replace([]byte(in))
		if string(got) != want || found != (want != in) {
			t.Errorf("replace(%q) = %q, %v; want %q", in, got, found, want)
		}
	}
}

func TestPrefixMatcher_ScanFindsPrefixAcrossReadBoundaries(t *testing.T) {
	dir := t.TempDir()
	m := newPrefixMatcher(dir + "/b")
	// Put the prefix, or a sibling, at every offset around the first chunk
	// boundary, and at the very end of the file.
	for _, off := range []int{scanChunk - 5, scanChunk - 1, scanChunk, scanChunk + 1, scanChunk + len(dir)} {
		for i, tc := range []struct {
			tail  string
			found bool
		}{{"/x", true}, {"2/x", false}, {"", true}, {"\n", true}} {
			p := filepath.Join(dir, fmt.Sprintf("f%d-%d", off, i))
			data := append(bytes.Repeat([]byte{'a'}, off), ' ')
			data = append(data, dir+"/b"+tc.tail...)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := m.scanFile(context.Background(), p, &buildProgress{})
			if err != nil {
				t.Fatal(err)
			}
			if res.found != tc.found || res.size != int64(len(data)) || res.sum != sha256Hex(data) || res.binary {
				t.Errorf("offset %d tail %q: %+v", off, tc.tail, res)
			}
		}
	}
}

func TestPrefixMatcher_ScanTellsBinaryByNulInFirst8KiB(t *testing.T) {
	dir := t.TempDir()
	m := newPrefixMatcher("/nowhere")
	for _, tc := range []struct {
		nulAt  int
		binary bool
	}{{0, true}, {binarySniffLen - 1, true}, {binarySniffLen, false}} {
		data := bytes.Repeat([]byte{'t'}, binarySniffLen*2)
		data[tc.nulAt] = 0
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if res, err := m.scanFile(context.Background(), p, &buildProgress{}); err != nil || res.binary != tc.binary {
			t.Errorf("NUL at %d: binary %v, err %v; want %v", tc.nulAt, res.binary, err, tc.binary)
		}
	}
}

func TestBuild_BinaryFileWithBuildPathNeedsAllowAbsolute(t *testing.T) {
	src := t.TempDir()
	writeTestFile(t, src, "lib/_speedups.so", "\x7fELF\x00\x00rpath="+src+"/lib\x00", 0o755)
	writeTestFile(t, src, "bin/run", "#!"+src+"/bin/python\n", 0o755)

	var out bytes.Buffer
	_, err := Build(context.Background(), src, BuildOptions{ID: "r1"}, &out)
	var ape *AbsolutePathsError
	if !errors.As(err, &ape) || !errors.Is(err, ErrAbsolutePaths) {
		t.Fatalf("got %v, want *AbsolutePathsError", err)
	}
	want := []AbsolutePath{{File: "lib/_speedups.so", Binary: true}}
	if !reflect.DeepEqual(ape.Found, want) || !strings.Contains(err.Error(), "lib/_speedups.so: binary file contains "+src) {
		t.Errorf("Found %+v, error:\n%v", ape.Found, err)
	}
	if out.Len() != 0 {
		t.Errorf("%d bytes written for a refused build", out.Len())
	}

	man, err := Build(context.Background(), src, BuildOptions{ID: "r1", AllowAbsolute: true}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(man.Absolute, []string{"lib/_speedups.so"}) || !reflect.DeepEqual(man.Relocated, []string{"bin/run"}) {
		t.Errorf("Absolute %v Relocated %v", man.Absolute, man.Relocated)
	}
	_, got := readBack(t, FormatTarZst, out.Bytes())
	if !bytes.Contains(got["lib/_speedups.so"].data, []byte(src)) {
		t.Error("binary file was changed; it must be stored as it is")
	}
}

func TestAbsolutePathsError_ListsAtMostFifty(t *testing.T) {
	e := &AbsolutePathsError{Prefix: "/b", Found: []AbsolutePath{{File: "a.cfg", Line: 3}}}
	for i := range 60 {
		e.Found = append(e.Found, AbsolutePath{File: fmt.Sprintf("f%02d.so", i), Binary: true})
	}
	lines := strings.Split(e.Error(), "\n")
	if len(lines) != 1+50+1 || lines[1] != "a.cfg:3: contains /b" || lines[2] != "f00.so: binary file contains /b" || lines[51] != "... and 11 more" {
		t.Errorf("error text:\n%s", e.Error())
	}
}

func TestBuild_RelativeSymlinkEscapingTheTreeFails(t *testing.T) {
	src := t.TempDir()
	symlinkTest(t, "../../../etc/passwd", filepath.Join(src, "lib/evil"))
	symlinkTest(t, "../lib", filepath.Join(src, "bin/ok"))
	_, err := Build(context.Background(), src, BuildOptions{ID: "r1"}, &bytes.Buffer{})
	if !errors.Is(err, ErrSymlinkEscapes) || !strings.Contains(err.Error(), "lib/evil") {
		t.Fatalf("got %v, want ErrSymlinkEscapes naming lib/evil", err)
	}
}

func TestBuild_NamedPipeFails(t *testing.T) {
	src := t.TempDir()
	writeTestFile(t, src, "a", "a", 0o644)
	if err := os.MkdirAll(filepath.Join(src, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(src, "var/zeo.fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), src, BuildOptions{ID: "r1"}, &bytes.Buffer{})
	if !errors.Is(err, ErrUnsupportedFile) || !strings.Contains(err.Error(), "var/zeo.fifo") {
		t.Fatalf("got %v, want ErrUnsupportedFile naming var/zeo.fifo", err)
	}
}

func TestBuild_RejectsBadIDsAndFormats(t *testing.T) {
	src := t.TempDir()
	for _, id := range []string{"", "../x", "a/b", ".hidden", "-x", strings.Repeat("a", 129)} {
		if _, err := Build(context.Background(), src, BuildOptions{ID: id}, &bytes.Buffer{}); !errors.Is(err, ErrInvalidID) {
			t.Errorf("id %q: got %v, want ErrInvalidID", id, err)
		}
	}
	if _, err := Build(context.Background(), src, BuildOptions{ID: "ok", Format: "tar"}, &bytes.Buffer{}); !errors.Is(err, ErrFormat) {
		t.Errorf("format tar: got %v, want ErrFormat", err)
	}
}
