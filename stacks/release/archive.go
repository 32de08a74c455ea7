package release

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/mholt/archives"
)

// errChanged reports a file that differs between the scan and the archive
// pass; its checksum in the manifest would be a lie.
var errChanged = errors.New("file changed during build; build from a tree nothing is writing to")

// buildArchiver returns the writer for one of the Format* constants.
func buildArchiver(format string) (archives.Archiver, error) {
	switch format {
	case FormatTarZst:
		return archives.CompressedArchive{Compression: archives.Zstd{}, Archival: archives.Tar{}}, nil
	case FormatTarGz:
		return archives.CompressedArchive{Compression: archives.Gz{}, Archival: archives.Tar{}}, nil
	case FormatZip:
		return archives.Zip{Compression: zip.Deflate}, nil
	}
	return nil, fmt.Errorf("%w %q (want %s, %s or %s)", ErrFormat, format, FormatTarZst, FormatTarGz, FormatZip)
}

// writeBuildArchive writes the manifest and then every entry to w.
func writeBuildArchive(ctx context.Context, a archives.Archiver, w *hashWriter, manifest []byte,
	created time.Time, entries []*buildEntry, m *prefixMatcher, prog *buildProgress) error {
	files := make([]archives.FileInfo, 0, len(entries)+1)
	files = append(files, archives.FileInfo{
		FileInfo:      entryInfo{name: ManifestName, mode: 0o644, size: int64(len(manifest)), mtime: created},
		NameInArchive: ManifestName,
		Open: func() (fs.File, error) {
			return &memFile{Reader: bytes.NewReader(manifest)}, nil
		},
	})
	for _, e := range entries {
		files = append(files, archives.FileInfo{
			FileInfo:      entryInfo{name: path.Base(e.name), mode: e.mode, size: e.size, mtime: e.mtime},
			NameInArchive: e.name,
			LinkTarget:    e.link,
			Open:          openEntry(ctx, e, m, prog),
		})
	}
	err := a.Archive(ctx, w, files)
	// The archivers close their tar, zip and compression writers in defers
	// and drop those errors, so a failure writing the archive's tail only
	// shows up here.
	if err == nil {
		err = w.err
	}
	return err
}

// openEntry returns the opener the archiver calls for e's content.
func openEntry(ctx context.Context, e *buildEntry, m *prefixMatcher, prog *buildProgress) func() (fs.File, error) {
	return func() (fs.File, error) {
		if e.relocate {
			data, err := m.relocateFile(e.disk)
			if err != nil {
				return nil, err
			}
			if int64(len(data)) != e.size || sha256Hex(data) != e.sum {
				return nil, fmt.Errorf("%s: %w", e.name, errChanged)
			}
			prog.add(e.size)
			return &memFile{Reader: bytes.NewReader(data)}, nil
		}
		f, err := os.Open(e.disk)
		if err != nil {
			return nil, err
		}
		return &checkedFile{ctx: ctx, f: f, e: e, h: sha256.New(), prog: prog}, nil
	}
}

// checkedFile streams a file into the archive and fails the read that
// completes it if its bytes are not the ones the manifest lists. The
// archiver copies exactly e.size bytes with io.CopyN, which ignores an
// error that comes with the last bytes, so a failing read returns none.
type checkedFile struct {
	ctx  context.Context
	f    *os.File
	e    *buildEntry
	h    hash.Hash
	n    int64
	prog *buildProgress
}

func (c *checkedFile) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.f.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	c.prog.add(int64(n))
	// A short file must not end in io.EOF either: the archiver takes EOF
	// as success.
	if c.n > c.e.size || (err == io.EOF && c.n < c.e.size) ||
		(c.n == c.e.size && hex.EncodeToString(c.h.Sum(nil)) != c.e.sum) {
		return 0, fmt.Errorf("%s: %w", c.e.name, errChanged)
	}
	return n, err
}

func (c *checkedFile) Stat() (fs.FileInfo, error) { return c.f.Stat() }
func (c *checkedFile) Close() error               { return c.f.Close() }

// memFile is a file whose content is already in memory: the manifest and
// relocated text files.
type memFile struct{ *bytes.Reader }

func (f *memFile) Stat() (fs.FileInfo, error) {
	return entryInfo{size: f.Size(), mode: 0o644}, nil
}
func (f *memFile) Close() error { return nil }

// entryInfo describes an entry as stored. Sys is nil on purpose: the tar
// writer then records no owner, so releases do not depend on who built
// them, and it does not look up user names.
type entryInfo struct {
	name  string
	mode  fs.FileMode
	size  int64
	mtime time.Time
}

func (i entryInfo) Name() string       { return i.name }
func (i entryInfo) Size() int64        { return i.size }
func (i entryInfo) Mode() fs.FileMode  { return i.mode }
func (i entryInfo) ModTime() time.Time { return i.mtime }
func (i entryInfo) IsDir() bool        { return i.mode.IsDir() }
func (i entryInfo) Sys() any           { return nil }

// hashWriter hashes what is written through it and remembers the first
// write error.
type hashWriter struct {
	w   io.Writer
	h   hash.Hash
	err error
}

func newHashWriter(w io.Writer) *hashWriter { return &hashWriter{w: w, h: sha256.New()} }

func (hw *hashWriter) Write(p []byte) (int, error) {
	if hw.err != nil {
		return 0, hw.err
	}
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	hw.err = err
	return n, err
}

func (hw *hashWriter) sum() string { return hex.EncodeToString(hw.h.Sum(nil)) }

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// progressStep throttles the progress callback to about one call per this
// many bytes.
const progressStep = 256 << 10

// buildProgress counts processed bytes for BuildOptions.Progress. The
// archivers call into it from the one goroutine that runs Build.
type buildProgress struct {
	fn          func(done, total int64)
	done, total int64
	reported    int64
}

func (p *buildProgress) setTotal(total int64) { p.total = total }

func (p *buildProgress) add(n int64) {
	p.done += n
	if p.fn != nil && p.done-p.reported >= progressStep {
		p.reported = p.done
		p.fn(p.done, max(p.total, p.done))
	}
}

// finish reports completion: done == total.
func (p *buildProgress) finish() {
	if p.fn != nil {
		p.fn(p.done, p.done)
	}
}
