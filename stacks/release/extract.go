package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Defaults for Limits fields left at zero. They are far above any Zope
// release we know of and far below what fills a disk or the inode table.
const (
	extractMaxEntries   = 200_000
	extractMaxTotalSize = 8 << 30
	extractMaxFileSize  = 4 << 30
)

// ErrArchiveSHA256 means the archive file's sha256 is not the manifest's
// ArchiveSHA256: the archive is corrupt or not the release the manifest
// describes. Nothing has been written when it is returned.
var ErrArchiveSHA256 = errors.New("archive sha256 does not match the manifest")

// ErrEntryChecksum means a regular file in the archive is not listed in the
// manifest, its content does not match the manifest's sha256, or a file the
// manifest lists is missing from the archive.
var ErrEntryChecksum = errors.New("file does not match the manifest")

// Limits bound what an archive may unpack to, so that a hostile or broken
// archive (a decompression bomb, millions of empty files) fails fast with a
// clear error instead of filling the disk. Zero fields take the defaults.
type Limits struct {
	MaxEntries   int   // entries of any type
	MaxTotalSize int64 // unpacked bytes of all regular files
	MaxFileSize  int64 // unpacked bytes of one regular file
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = extractMaxEntries
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = extractMaxTotalSize
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = extractMaxFileSize
	}
	return l
}

// ExtractOptions tune Extract.
type ExtractOptions struct {
	Limits Limits
	// Progress, when set, is called as regular-file bytes are written, with
	// the bytes done so far and the manifest's Size as the total.
	Progress func(done, total int64)
	// ChecksumProgress, when set, is called while the archive is hashed
	// before anything is unpacked, with the archive's bytes done and total.
	ChecksumProgress func(done, total int64)
}

// ExtractError names the archive entry that Extract rejected and why.
type ExtractError struct {
	Entry  string // the entry's name as stored in the archive
	Reason string
	// Err classifies the rejection when a sentinel applies
	// (ErrEntryChecksum); it may be nil.
	Err error
}

// Error reads `archive entry "x/../y": name is not local`.
func (e *ExtractError) Error() string {
	return fmt.Sprintf("archive entry %q: %s", e.Entry, e.Reason)
}

// Unwrap returns the classifying sentinel, if any.
func (e *ExtractError) Unwrap() error { return e.Err }

// Extract verifies the archive at archivePath against m, then unpacks it
// into dest, which must not exist yet.
//
// It first checks the sha256 of the whole archive file, before writing
// anything. It then unpacks into a temporary sibling directory
// (dest + ".partial-<random>") through an *os.Root, so that no entry, link
// or link-followed path can write outside it; checks every regular file's
// sha256 (of the bytes as stored) against m.FileSHA256; resolves
// Placeholder to the absolute dest in m.Relocated files; and renames the
// temporary directory to dest only when all of that succeeded. On failure
// nothing is left behind: no dest, no .partial directory.
//
// Rejected entries are reported as *ExtractError.
func Extract(ctx context.Context, archivePath string, m *Manifest, dest string, opts ExtractOptions) (err error) {
	if m == nil {
		return errors.New("extract: no manifest")
	}
	if dest == "" {
		return errors.New("extract: empty stack directory")
	}
	dest, err = filepath.Abs(dest)
	if err != nil {
		return fmt.Errorf("extract %s: %w", archivePath, err)
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("extract %s: stack directory %s already exists", archivePath, dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("extract %s: %w", archivePath, err)
	}

	f, err := os.Open(archivePath)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	defer f.Close()
	if err := extractVerifyArchive(ctx, f, m.ArchiveSHA256, opts.ChecksumProgress); err != nil {
		return fmt.Errorf("extract %s: %w", archivePath, err)
	}
	format, err := extractFormat(f, m.Format)
	if err != nil {
		return fmt.Errorf("extract %s: %w", archivePath, err)
	}

	// MkdirTemp in dest's own directory: the final rename must not cross a
	// filesystem, and a crash leaves an obviously named leftover beside it.
	tmp, err := os.MkdirTemp(filepath.Dir(dest), filepath.Base(dest)+".partial-")
	if err != nil {
		return fmt.Errorf("extract %s: %w", archivePath, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return fmt.Errorf("extract %s: %w", archivePath, err)
	}
	defer root.Close()

	x := newExtractor(root, m, dest, opts)
	if err := x.unpack(ctx, format, f); err != nil {
		return fmt.Errorf("extract %s: %w", archivePath, err)
	}
	// MkdirTemp made it 0700; a stack directory is read by the instance
	// processes and by people debugging them.
	if err := root.Chmod(".", 0o755); err != nil {
		return fmt.Errorf("extract %s: %w", archivePath, err)
	}
	if err := extractSyncTree(root); err != nil {
		return fmt.Errorf("extract %s: sync: %w", archivePath, err)
	}
	if err := extractRename(tmp, dest); err != nil {
		return fmt.Errorf("extract %s: %w", archivePath, err)
	}
	if err := syncDir(filepath.Dir(dest)); err != nil {
		// The tree is complete and in place; only its durability across a
		// power cut is in doubt, and removing it now would not help.
		return fmt.Errorf("extract %s: sync %s: %w", archivePath, filepath.Dir(dest), err)
	}
	return nil
}

// extractVerifyArchive hashes the whole archive and leaves f at its start.
func extractVerifyArchive(ctx context.Context, f *os.File, want string, progress func(done, total int64)) error {
	if want == "" {
		return fmt.Errorf("%w: the manifest has no archive_sha256", ErrArchiveSHA256)
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	h := sha256.New()
	r := extractCtxReader{ctx: ctx, r: f, total: fi.Size(), progress: progress}
	if _, err := io.Copy(h, &r); err != nil {
		return err
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != strings.ToLower(want) {
		return fmt.Errorf("%w: expected %s, got %s", ErrArchiveSHA256, want, got)
	}
	_, err = f.Seek(0, io.SeekStart)
	return err
}

// extractCtxReader stops a long read (hashing gigabytes) when ctx is done.
// It also reports how far it got, when asked to.
type extractCtxReader struct {
	ctx      context.Context
	r        io.Reader
	done     int64
	total    int64
	progress func(done, total int64)
}

func (c *extractCtxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.done += int64(n)
	if c.progress != nil {
		c.progress(c.done, c.total)
	}
	return n, err
}

// extractRenameChecked renames tmp to dest after checking dest is absent.
func extractRenameChecked(tmp, dest string) error {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("stack directory %s appeared while unpacking", dest)
	}
	return os.Rename(tmp, dest)
}
