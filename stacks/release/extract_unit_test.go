package release

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mholt/archives"
)

// xtInfo is a FileInfo whose header says whatever the test wants.
type xtInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (i xtInfo) Name() string       { return i.name }
func (i xtInfo) Size() int64        { return i.size }
func (i xtInfo) Mode() fs.FileMode  { return i.mode }
func (i xtInfo) ModTime() time.Time { return time.Time{} }
func (i xtInfo) IsDir() bool        { return i.mode.IsDir() }
func (i xtInfo) Sys() any           { return nil }

type xtOpened struct {
	io.Reader
	info xtInfo
}

func (o xtOpened) Stat() (fs.FileInfo, error) { return o.info, nil }
func (o xtOpened) Close() error               { return nil }

// xtRawFile is an archive entry with a header size that may lie about the
// content.
func xtRawFile(name string, headerSize int64, content io.Reader) archives.FileInfo {
	info := xtInfo{name: name, size: headerSize, mode: 0o644}
	return archives.FileInfo{FileInfo: info, NameInArchive: name,
		Open: func() (fs.File, error) { return xtOpened{content, info}, nil }}
}

func xtExtractor(t *testing.T, m *Manifest, lim Limits) (*extractor, string) {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := os.Mkdir(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(tree)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	x := newExtractor(root, m, filepath.Join(dir, "dest"), ExtractOptions{Limits: lim})
	t.Cleanup(x.writers.close)
	return x, dir
}

// The symlink check in handle refuses "lib/passwd" below a link before
// anything is opened. This proves the layer below it holds on its own: the
// writer goes through os.Root, which refuses to follow a link out of the
// tree, absolute or relative.
func TestExtract_RootRefusesToWriteThroughAnEscapingSymlink(t *testing.T) {
	for _, target := range []string{"abs", "../outside"} {
		t.Run(target, func(t *testing.T) {
			body := "root::0:0::/:/bin/sh\n"
			m := &Manifest{FileSHA256: map[string]string{"lib/passwd": xtSHA256([]byte(body))}}
			x, dir := xtExtractor(t, m, Limits{})
			outside := filepath.Join(dir, "outside")
			if err := os.Mkdir(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			if target == "abs" {
				target = outside
			}
			if err := os.Symlink(target, filepath.Join(dir, "tree", "lib")); err != nil {
				t.Fatal(err)
			}
			fi := xtRawFile("lib/passwd", int64(len(body)), strings.NewReader(body))
			err := x.file(context.Background(), "lib/passwd", "lib/passwd", fi)
			if err == nil {
				// Small files are created by writer goroutines; their
				// failures surface where the extractor collects them.
				err = x.writerFailure(true)
			}
			if got := xtEntryOf(t, err); got != "lib/passwd" {
				t.Errorf("rejected %q, want lib/passwd", got)
			}
			t.Log(err)
			xtWantOnly(t, outside)
		})
	}
}

// Tar and zip readers enforce their header sizes, so no fixture can lie;
// the limits must hold even for a reader that does.
func TestExtract_LimitsHoldWhenTheHeaderUnderstatesTheSize(t *testing.T) {
	big := bytes.Repeat([]byte("z"), 1<<20)
	m := &Manifest{FileSHA256: map[string]string{"big": xtSHA256(big)}, Relocated: []string{"big"}}
	for _, lim := range []Limits{{MaxFileSize: 64 << 10}, {MaxTotalSize: 64 << 10}} {
		x, _ := xtExtractor(t, m, lim)
		err := x.handle(context.Background(), xtRawFile("big", 10, bytes.NewReader(big)))
		if got := xtEntryOf(t, err); got != "big" {
			t.Errorf("rejected %q, want big", got)
		}
		t.Log(err)
	}
	// Without a limit in the way, the in-memory relocation buffer is what
	// stops it.
	old := extractRelocateInMemory
	extractRelocateInMemory = 4 << 10
	t.Cleanup(func() { extractRelocateInMemory = old })
	x, _ := xtExtractor(t, m, Limits{})
	err := x.handle(context.Background(), xtRawFile("big", 10, bytes.NewReader(big)))
	if xtEntryOf(t, err); !strings.Contains(err.Error(), errExtractOverflow.Error()) {
		t.Errorf("error %v, want %v", err, errExtractOverflow)
	}
}

func TestExtract_ReplaceFindsEveryPlaceholderWhateverTheReads(t *testing.T) {
	in := Placeholder + "a" + Placeholder + Placeholder[:5] + "b" + strings.Repeat("c", 3<<20) + Placeholder
	want := strings.ReplaceAll(in, Placeholder, "/srv/stacks/blue")
	readers := map[string]func(io.Reader) io.Reader{
		"whole": func(r io.Reader) io.Reader { return r },
		"one":   iotest.OneByteReader,
		"half":  iotest.HalfReader,
	}
	for name, wrap := range readers {
		src := in
		if name == "one" {
			src = in[:200] // a byte at a time is slow; the edges are early
			want := strings.ReplaceAll(src, Placeholder, "/srv/stacks/blue")
			var out bytes.Buffer
			if err := extractReplace(&out, wrap(strings.NewReader(src)), []byte(Placeholder), []byte("/srv/stacks/blue")); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Errorf("%s: got %.100q, want %.100q", name, out.String(), want)
			}
			continue
		}
		var out bytes.Buffer
		if err := extractReplace(&out, wrap(strings.NewReader(src)), []byte(Placeholder), []byte("/srv/stacks/blue")); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("%s: output differs (len %d, want %d)", name, out.Len(), len(want))
		}
	}
}

func TestExtract_LocalNames(t *testing.T) {
	for raw, want := range map[string]string{
		"a": "a", "./a": "a", "a/": "a", "a//b": "a/b", ".": ".", "./": ".",
		"": "", "..": "", "../a": "", "a/../b": "", "/a": "", `a\b`: "", "a\x00": "",
	} {
		got, ok := extractLocalName(raw)
		if ok != (want != "") || got != want {
			t.Errorf("extractLocalName(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
}
