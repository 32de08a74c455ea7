package release

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mholt/archives"
)

// storedEntry is one archive entry as read back by mholt/archives.
type storedEntry struct {
	mode fs.FileMode
	link string
	data []byte
}

// readBack lists an archive's entries in archive order, read with
// mholt/archives rather than this package's own code.
func readBack(t *testing.T, format string, archive []byte) ([]string, map[string]storedEntry) {
	t.Helper()
	var ex archives.Extractor
	switch format {
	case FormatTarZst:
		ex = archives.CompressedArchive{Compression: archives.Zstd{}, Extraction: archives.Tar{}}
	case FormatTarGz:
		ex = archives.CompressedArchive{Compression: archives.Gz{}, Extraction: archives.Tar{}}
	case FormatZip:
		ex = archives.Zip{}
	default:
		t.Fatalf("unknown format %q", format)
	}
	var order []string
	entries := map[string]storedEntry{}
	err := ex.Extract(context.Background(), bytes.NewReader(archive), func(_ context.Context, f archives.FileInfo) error {
		name := f.NameInArchive
		if f.IsDir() {
			name = filepath.ToSlash(filepath.Clean(name)) // zip adds a trailing slash
		}
		e := storedEntry{mode: f.Mode(), link: f.LinkTarget}
		if f.Mode().IsRegular() {
			rc, err := f.Open()
			if err != nil {
				return err
			}
			defer rc.Close()
			if e.data, err = io.ReadAll(rc); err != nil {
				return err
			}
		}
		order = append(order, name)
		entries[name] = e
		return nil
	})
	if err != nil {
		t.Fatalf("read back %s archive: %v", format, err)
	}
	return order, entries
}

func TestBuildArchiver_RefusesUnknownFormat(t *testing.T) {
	if _, err := buildArchiver("rar"); !errors.Is(err, ErrFormat) {
		t.Fatalf("got %v, want ErrFormat", err)
	}
}

func TestWriteBuildArchive_FailsWhenAFileChangedSinceTheScan(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("after"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{FormatTarZst, FormatTarGz, FormatZip} {
		a, err := buildArchiver(format)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []*buildEntry{
			{name: "f", disk: p, size: 5, sum: sha256Hex([]byte("befor"))},     // same size, other bytes
			{name: "f", disk: p, size: 9, sum: sha256Hex([]byte("before!!!"))}, // shrank
			{name: "f", disk: p, size: 4, sum: sha256Hex([]byte("afte"))},      // grew
		} {
			err := writeBuildArchive(context.Background(), a, newHashWriter(io.Discard), []byte("{}"),
				time.Now(), []*buildEntry{e}, newPrefixMatcher("/nowhere"), &buildProgress{})
			if !errors.Is(err, errChanged) && e.size != 4 {
				t.Errorf("%s, size %d: got %v, want errChanged", format, e.size, err)
			}
			// A file that grew is archived as scanned: its first e.size
			// bytes, which match the manifest.
			if e.size == 4 && err != nil {
				t.Errorf("%s, grown file: %v", format, err)
			}
		}
	}
}

func TestHashWriter_RemembersTheFirstError(t *testing.T) {
	boom := errors.New("disk full")
	hw := newHashWriter(failingWriter{boom})
	hw.Write([]byte("x"))
	if _, err := hw.Write([]byte("y")); !errors.Is(err, boom) || !errors.Is(hw.err, boom) {
		t.Fatalf("got %v / %v, want %v", err, hw.err, boom)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestBuild_FailsWhenTheOutputFails(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "a"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{FormatTarZst, FormatTarGz, FormatZip} {
		_, err := Build(context.Background(), src, BuildOptions{ID: "r1", Format: format}, failingWriter{errors.New("disk full")})
		if err == nil {
			t.Errorf("%s: Build succeeded writing to a failing output", format)
		}
	}
}
