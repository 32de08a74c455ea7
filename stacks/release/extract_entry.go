package release

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mholt/archives"
)

// extractKind is what an entry becomes on disk.
type extractKind int

const (
	kindDir extractKind = iota + 1
	kindFile
	kindSymlink
	kindHardlink
	kindManifest // the embedded manifest: read, never written
)

// extractor holds the state of one Extract while the archive is walked.
// The archive library calls handle for each entry, one at a time.
type extractor struct {
	root      *os.Root
	m         *Manifest
	dest      string // final absolute stack directory, what Placeholder becomes
	lim       Limits
	progress  func(done, total int64)
	relocated map[string]bool

	entries int
	total   int64                  // regular-file bytes unpacked so far
	seen    map[string]extractKind // clean name -> what was created there
	links   map[string]string      // symlink name -> target
	failed  *ExtractError          // the rejection, kept unwrapped
	last    string                 // the last entry handled, for read errors
	dirs    *extractDirs
	writers *extractWriters
}

func newExtractor(root *os.Root, m *Manifest, dest string, opts ExtractOptions) *extractor {
	x := &extractor{
		root:      root,
		dirs:      newExtractDirs(root),
		writers:   newExtractWriters(root),
		m:         m,
		dest:      dest,
		lim:       opts.Limits.withDefaults(),
		progress:  opts.Progress,
		relocated: make(map[string]bool, len(m.Relocated)),
		seen:      map[string]extractKind{},
		links:     map[string]string{},
	}
	for _, name := range m.Relocated {
		x.relocated[name] = true
	}
	return x
}

// reject records why entry was refused and returns the error that stops
// the walk.
func (x *extractor) reject(entry string, sentinel error, format string, args ...any) error {
	x.failed = &ExtractError{Entry: entry, Reason: fmt.Sprintf(format, args...), Err: sentinel}
	return x.failed
}

// unpack walks the archive, then checks what only the whole tree can tell:
// link chains, and manifest files that never came.
func (x *extractor) unpack(ctx context.Context, format archives.Extractor, r io.Reader) error {
	err := format.Extract(ctx, r, x.handle)
	// Every writer is done before anything is checked, renamed or removed.
	writeErr := x.writerFailure(true)
	x.writers.close()
	if x.failed == nil && writeErr != nil {
		return writeErr
	}
	if x.failed != nil {
		// The library wraps handler errors with the raw name; ours
		// already says everything.
		return x.failed
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if err != nil && x.last != "" {
		// A corrupt stream fails between entries, where the library has
		// no name to give; the last good one tells where to look.
		return fmt.Errorf("read archive after entry %q: %w", x.last, err)
	}
	if err != nil {
		return fmt.Errorf("read archive: %w", err)
	}
	if err := x.checkLinks(); err != nil {
		return err
	}
	return x.checkComplete()
}

// handle unpacks one entry.
func (x *extractor) handle(ctx context.Context, fi archives.FileInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	raw := fi.NameInArchive
	x.last = raw
	x.entries++
	if x.entries > x.lim.MaxEntries {
		return x.reject(raw, nil, "archive has more than %d entries", x.lim.MaxEntries)
	}
	name, ok := extractLocalName(raw)
	if !ok {
		return x.reject(raw, nil, "name is not local")
	}
	kind, err := extractEntryKind(fi)
	if err != nil {
		return x.reject(raw, nil, "%v", err)
	}
	if name == "." {
		if kind != kindDir {
			return x.reject(raw, nil, "name is not local")
		}
		return nil // the root: MkdirTemp made it
	}
	if name == ManifestName {
		return x.checkEmbeddedManifest(raw, kind, fi)
	}
	if prev, dup := x.seen[name]; dup && !(prev == kindDir && kind == kindDir) {
		return x.reject(raw, nil, "duplicate entry")
	}
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		// Writing below a symlink would put the file wherever the link
		// points. The root confines that to the tree anyway, but a release
		// that does it is broken, and the name would lie about the path.
		if _, isLink := x.links[dir]; isLink {
			return x.reject(raw, nil, "path goes through symlink %q", dir)
		}
	}
	if kind != kindDir {
		if err := x.mkdirParent(name); err != nil {
			return x.reject(raw, nil, "create parent directory: %v", extractPathErr(err))
		}
	}
	switch kind {
	case kindDir:
		err = x.dir(raw, name, fi.Mode().Perm())
	case kindFile:
		err = x.file(ctx, raw, name, fi)
	case kindSymlink:
		err = x.symlink(raw, name, fi.LinkTarget)
	case kindHardlink:
		err = x.hardlink(raw, name, fi.LinkTarget)
	}
	if err != nil {
		return err
	}
	x.seen[name] = kind
	if kind == kindHardlink {
		x.seen[name] = kindFile // a hard link is a file like any other
	}
	return nil
}

// extractLocalName returns the clean slash path of an archive name, or
// false when the name could point outside the tree on any platform.
// Names with a ".." element are refused even when they would clean to a
// local path ("x/../y"): no honest build writes them, and the manifest's
// names would not match.
func extractLocalName(raw string) (string, bool) {
	if raw == "" || strings.ContainsAny(raw, "\x00\\") || strings.HasPrefix(raw, "/") {
		return "", false
	}
	if slices.Contains(strings.Split(raw, "/"), "..") {
		return "", false
	}
	name := path.Clean(raw)
	if name == "." {
		return name, true
	}
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return "", false
	}
	return name, true
}

// extractEntryKind sorts an entry into what Extract creates, and refuses
// device nodes, fifos, sockets and anything it does not know. Tar headers
// are read by type flag, because tar's FileInfo reports a hard link as a
// regular file and takes type bits from the mode field as well.
func extractEntryKind(fi archives.FileInfo) (extractKind, error) {
	if hdr, ok := fi.Header.(*tar.Header); ok {
		switch hdr.Typeflag {
		case tar.TypeReg:
			return kindFile, nil
		case tar.TypeDir:
			return kindDir, nil
		case tar.TypeSymlink:
			return kindSymlink, nil
		case tar.TypeLink:
			return kindHardlink, nil
		case tar.TypeChar, tar.TypeBlock:
			return 0, errors.New("device files are not allowed")
		case tar.TypeFifo:
			return 0, errors.New("named pipes are not allowed")
		}
		return 0, fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
	switch t := fi.Mode().Type(); t {
	case 0:
		return kindFile, nil
	case fs.ModeDir:
		return kindDir, nil
	case fs.ModeSymlink:
		return kindSymlink, nil
	default:
		return 0, fmt.Errorf("unsupported file type %v", t)
	}
}

// mkdirParent creates the directories an entry lives in when the archive
// did not list them first.
func (x *extractor) mkdirParent(name string) error {
	dir := path.Dir(name)
	if dir == "." {
		return nil
	}
	return x.dirs.mkdirAll(dir, 0o755)
}

// dir creates a directory. The owner always keeps rwx so that the rest of
// the archive, and later a RemoveAll, can write into it.
func (x *extractor) dir(raw, name string, perm fs.FileMode) error {
	if err := x.dirs.mkdirAll(name, 0o700); err != nil {
		return x.reject(raw, nil, "create directory: %v", extractPathErr(err))
	}
	if err := x.root.Chmod(name, perm|0o700); err != nil {
		return x.reject(raw, nil, "chmod directory: %v", extractPathErr(err))
	}
	return nil
}

// extractPathErr drops the temporary directory from an *fs.PathError: the
// entry name already says where, and the .partial path is gone by the
// time anyone reads the message.
func extractPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
