package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/mholt/archives"
)

// xtEntry is one raw archive entry, written exactly as given: the point of
// these helpers is to write what a well-behaved archiver never would.
type xtEntry struct {
	name string
	typ  byte // tar type flag; for zip only TypeReg, TypeDir, TypeSymlink
	mode int64
	body string // content, or the target of a link
}

func xtFile(name, body string, mode int64) xtEntry {
	return xtEntry{name: name, typ: tar.TypeReg, mode: mode, body: body}
}
func xtDir(name string) xtEntry { return xtEntry{name: name, typ: tar.TypeDir, mode: 0o755} }
func xtLink(name, target string) xtEntry {
	return xtEntry{name: name, typ: tar.TypeSymlink, mode: 0o777, body: target}
}

var xtTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// xtArchive encodes entries in format (FormatTarZst, FormatTarGz,
// FormatZip).
func xtArchive(t testing.TB, format string, entries []xtEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case FormatZip:
		err = xtWriteZip(&buf, entries)
	case FormatTarGz:
		zw := gzip.NewWriter(&buf)
		if err = xtWriteTar(zw, entries); err == nil {
			err = zw.Close()
		}
	case FormatTarZst:
		var zw *zstd.Encoder
		if zw, err = zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1)); err == nil {
			if err = xtWriteTar(zw, entries); err == nil {
				err = zw.Close()
			}
		}
	default:
		t.Fatalf("unknown format %q", format)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xtWriteTar(w io.Writer, entries []xtEntry) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, ModTime: xtTime, Format: tar.FormatPAX}
		switch e.typ {
		case tar.TypeReg:
			hdr.Size = int64(len(e.body))
		case tar.TypeSymlink, tar.TypeLink:
			hdr.Linkname = e.body
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if e.typ == tar.TypeReg {
			if _, err := io.WriteString(tw, e.body); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

func xtWriteZip(w io.Writer, entries []xtEntry) error {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: xtTime}
		mode := fs.FileMode(e.mode) & fs.ModePerm
		switch e.typ {
		case tar.TypeDir:
			mode |= fs.ModeDir
		case tar.TypeSymlink:
			mode |= fs.ModeSymlink
		}
		hdr.SetMode(mode)
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if e.typ != tar.TypeDir {
			if _, err := io.WriteString(fw, e.body); err != nil {
				return err
			}
		}
	}
	return zw.Close()
}

// xtWrite writes data to dir/name and returns the path.
func xtWrite(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func xtSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// xtManifest lists the archive with the archives library, the way Build's
// manifest would describe it: every regular file's sha256 under its clean
// name, hard links under their target's sum, Size the sum of the file
// sizes. ID is taken from the embedded manifest when there is one. Reads
// are bounded so that the fuzzer's bombs cannot stall the listing; a
// listing that fails only leaves the manifest shorter.
func xtManifest(tb testing.TB, archivePath string) *Manifest {
	tb.Helper()
	data, err := os.ReadFile(archivePath)
	if err != nil {
		tb.Fatal(err)
	}
	m := &Manifest{ID: "test", ArchiveSHA256: xtSHA256(data), FileSHA256: map[string]string{}}
	f, err := os.Open(archivePath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	format, err := extractFormat(f, "")
	if err != nil {
		return m
	}
	count := 0
	_ = format.Extract(context.Background(), f, func(_ context.Context, fi archives.FileInfo) error {
		if count++; count > 2000 {
			return fs.SkipAll
		}
		name := path.Clean(fi.NameInArchive)
		if hdr, ok := fi.Header.(*tar.Header); ok && hdr.Typeflag == tar.TypeLink {
			if sum, ok := m.FileSHA256[path.Clean(hdr.Linkname)]; ok {
				m.FileSHA256[name] = sum
			}
			return nil
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		rc, err := fi.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		body, err := io.ReadAll(io.LimitReader(rc, 2<<20))
		if err != nil {
			return err
		}
		if name == ManifestName {
			var inner Manifest
			if json.Unmarshal(body, &inner) == nil {
				m.ID = inner.ID
			}
			return nil
		}
		m.FileSHA256[name] = xtSHA256(body)
		m.Size += int64(len(body))
		m.Files++
		return nil
	})
	return m
}

// xtSandbox is a directory holding the stacks directory (dest's parent)
// and an "outside" directory that an escaping entry would reach with
// "../../outside" from the root of the tree.
type xtSandbox struct {
	base, stacks, outside, dest string
}

func newXtSandbox(t testing.TB, dir string) xtSandbox {
	t.Helper()
	sb := xtSandbox{base: dir, stacks: filepath.Join(dir, "stacks"), outside: filepath.Join(dir, "outside")}
	sb.dest = filepath.Join(sb.stacks, "blue")
	for _, d := range []string{sb.stacks, sb.outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return sb
}

// assertNothingLeft checks a failed Extract left no trace: no dest, no
// .partial sibling, nothing outside.
func (sb xtSandbox) assertNothingLeft(t testing.TB) {
	t.Helper()
	for _, d := range []string{sb.stacks, sb.outside} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Errorf("left behind: %s", filepath.Join(d, e.Name()))
		}
	}
	sb.assertOnlyTree(t)
}

// assertOnlyTree checks nothing appeared in the sandbox besides stacks and
// outside.
func (sb xtSandbox) assertOnlyTree(t testing.TB) {
	t.Helper()
	entries, err := os.ReadDir(sb.base)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); n != "stacks" && n != "outside" && n != "archive" {
			t.Errorf("written outside the stacks directory: %s", filepath.Join(sb.base, n))
		}
	}
}

// xtEntryOf returns the rejected entry's name, failing when err is not an
// *ExtractError.
func xtEntryOf(t testing.TB, err error) string {
	t.Helper()
	var xe *ExtractError
	if !errors.As(err, &xe) {
		t.Fatalf("error %v (%T) is not an *ExtractError", err, err)
	}
	return xe.Entry
}
