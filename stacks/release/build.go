package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Sentinel errors of Build.
var (
	// ErrInvalidID is returned for an id that is not a safe directory name.
	ErrInvalidID = errors.New("invalid release id")
	// ErrFormat is returned for an archive format Build does not write.
	ErrFormat = errors.New("unsupported archive format")
	// ErrAbsolutePaths (wrapped by *AbsolutePathsError) is returned when
	// the tree holds the build path where it cannot be relocated and
	// BuildOptions.AllowAbsolute is false.
	ErrAbsolutePaths = errors.New("build path cannot be relocated")
	// ErrUnsupportedFile is returned for a device, socket or named pipe:
	// a release holds files, directories and symlinks only.
	ErrUnsupportedFile = errors.New("unsupported file type")
	// ErrSymlinkEscapes is returned for a relative symlink whose target
	// leaves the tree, which would dangle once the release is unpacked.
	ErrSymlinkEscapes = errors.New("relative symlink points outside the build directory")
)

// releaseIDPattern keeps an id usable as one directory name.
var releaseIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// checkReleaseID returns ErrInvalidID (wrapped) unless id is a valid id.
func checkReleaseID(id string) error {
	if !releaseIDPattern.MatchString(id) {
		return fmt.Errorf("%w %q: want 1-128 of A-Z a-z 0-9 . _ - starting with a letter or digit", ErrInvalidID, id)
	}
	return nil
}

// BuildOptions configure Build.
type BuildOptions struct {
	// ID names the release; required, ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$
	// (it becomes a directory name).
	ID string
	// Format is FormatTarZst (the default when empty), FormatTarGz or
	// FormatZip.
	Format         string
	NeedsMigration bool
	// AllowAbsolute keeps binary files that contain the build path; they
	// are listed in Manifest.Absolute.
	AllowAbsolute bool
	// Progress, when set, gets the bytes of file content processed; each
	// file is read twice (scanned, then archived) and total counts both.
	// It is called every 256 KiB or so, and last with done == total.
	Progress func(done, total int64)
}

// AbsolutePath is one place where the build path could not be relocated.
type AbsolutePath struct {
	File   string // slash-separated path inside the release
	Line   int    // 1-based line of a text finding; 0 for binary files
	Binary bool
}

// AbsolutePathsError lists the files that still hold the build path. It
// wraps ErrAbsolutePaths.
type AbsolutePathsError struct {
	Prefix string // the build path that was found
	Found  []AbsolutePath
}

// maxListedFindings keeps the error readable on a terminal.
const maxListedFindings = 50

func (e *AbsolutePathsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %d file(s) contain %s (rebuild them relocatable, or allow absolute paths to keep them as they are):",
		ErrAbsolutePaths, len(e.Found), e.Prefix)
	for i, f := range e.Found {
		if i == maxListedFindings {
			fmt.Fprintf(&b, "\n... and %d more", len(e.Found)-maxListedFindings)
			break
		}
		if f.Binary {
			fmt.Fprintf(&b, "\n%s: binary file contains %s", f.File, e.Prefix)
		} else {
			fmt.Fprintf(&b, "\n%s:%d: contains %s", f.File, f.Line, e.Prefix)
		}
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrAbsolutePaths) true.
func (e *AbsolutePathsError) Unwrap() error { return ErrAbsolutePaths }

// Build reads the tree at src, relocates it, and writes the archive to out.
// It returns the manifest, with ArchiveSHA256 set to the sha256 of what was
// written to out. Nothing is written to out when the tree is refused.
func Build(ctx context.Context, src string, opts BuildOptions, out io.Writer) (*Manifest, error) {
	if err := checkReleaseID(opts.ID); err != nil {
		return nil, err
	}
	if opts.Format == "" {
		opts.Format = FormatTarZst
	}
	archiver, err := buildArchiver(opts.Format)
	if err != nil {
		return nil, err
	}
	abs, root, err := resolveBuildRoot(src)
	if err != nil {
		return nil, err
	}
	m := newPrefixMatcher(abs, root)
	prog := &buildProgress{fn: opts.Progress}

	entries, err := walkBuildTree(ctx, root, m, prog)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", abs, err)
	}
	man := &Manifest{
		ID:             opts.ID,
		Created:        time.Now().UTC(),
		Source:         abs,
		Format:         opts.Format,
		NeedsMigration: opts.NeedsMigration,
		BuildPrefix:    abs,
		FileSHA256:     map[string]string{},
	}
	var found []AbsolutePath
	for _, e := range entries {
		if !e.mode.IsRegular() {
			continue
		}
		man.Files++
		man.Size += e.size
		man.FileSHA256[e.name] = e.sum
		if e.relocate {
			man.Relocated = append(man.Relocated, e.name)
		}
		if e.absolute {
			man.Absolute = append(man.Absolute, e.name)
			found = append(found, AbsolutePath{File: e.name, Binary: true})
		}
	}
	// The walk is per directory, so "a/b" comes before "a.txt"; the
	// manifest's lists are plainly sorted.
	sort.Strings(man.Relocated)
	sort.Strings(man.Absolute)
	sort.Slice(found, func(i, j int) bool { return found[i].File < found[j].File })
	if len(found) > 0 && !opts.AllowAbsolute {
		return nil, &AbsolutePathsError{Prefix: abs, Found: found}
	}

	inner, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	hw := newHashWriter(out)
	if err := writeBuildArchive(ctx, archiver, hw, inner, man.Created, entries, m, prog); err != nil {
		return nil, fmt.Errorf("build %s: write archive: %w", abs, err)
	}
	prog.finish()
	man.ArchiveSHA256 = hw.sum()
	return man, nil
}

// resolveBuildRoot returns src made absolute and the directory it really
// is. Both spellings of the build path may be baked into the tree (a
// buildout run through a symlinked /srv/site sees that path, the kernel
// reports the real one), so both are searched.
func resolveBuildRoot(src string) (abs, root string, err error) {
	abs, err = filepath.Abs(src)
	if err != nil {
		return "", "", err
	}
	root, err = filepath.EvalSymlinks(abs)
	if err != nil {
		return "", "", fmt.Errorf("build %s: %w", abs, err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return "", "", fmt.Errorf("build %s: %w", abs, err)
	}
	if !fi.IsDir() {
		return "", "", fmt.Errorf("build %s: not a directory", abs)
	}
	// "/" as a prefix would match every absolute path in every file.
	if abs == "/" || root == "/" {
		return "", "", fmt.Errorf("build %s: refusing to build the root directory", abs)
	}
	return abs, root, nil
}

// buildEntry is one tree entry as it will be stored.
type buildEntry struct {
	name     string      // slash-separated path in the archive
	disk     string      // path on disk
	mode     fs.FileMode // type and permission bits only
	mtime    time.Time
	size     int64  // stored bytes (regular), target length (symlink)
	link     string // symlink target as stored
	sum      string // hex sha256 of the stored bytes (regular)
	relocate bool   // stored bytes have Placeholder instead of the prefix
	absolute bool   // binary file still holding the prefix
}

// walkBuildTree walks root in lexical order and describes every entry as it
// will be stored. Regular files are scanned here, before anything is
// written, because the manifest that goes first in the archive lists every
// file's checksum.
func walkBuildTree(ctx context.Context, root string, m *prefixMatcher, prog *buildProgress) ([]*buildEntry, error) {
	var entries []*buildEntry
	var onDisk int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if name == ManifestName {
			return fmt.Errorf("%s: the name is reserved for the release manifest", name)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		e := &buildEntry{name: name, disk: p, mtime: fi.ModTime()}
		switch mode := fi.Mode(); {
		case mode.IsDir():
			e.mode = fs.ModeDir | mode.Perm()
		case mode.IsRegular():
			// Perm drops setuid, setgid and sticky: a release never
			// installs privileged programs behind the operator's back.
			e.mode = mode.Perm()
			onDisk += fi.Size()
		case mode&fs.ModeSymlink != 0:
			e.mode = fs.ModeSymlink | 0o777
			if e.link, err = storedLinkTarget(p, name, m); err != nil {
				return err
			}
			e.size = int64(len(e.link))
		default:
			return fmt.Errorf("%s: %w: %s", name, ErrUnsupportedFile, fileTypeName(mode))
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Each file is read twice: scanned now, archived later.
	prog.setTotal(2 * onDisk)
	var stored int64
	for _, e := range entries {
		if !e.mode.IsRegular() {
			continue
		}
		if err := scanBuildFile(ctx, e, m, prog); err != nil {
			return nil, err
		}
		stored += e.size
	}
	// The archive pass reads the stored bytes, which relocation changed.
	prog.setTotal(prog.done + stored)
	return entries, nil
}

// fileTypeName names a file type the way an operator would.
func fileTypeName(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "named pipe"
	case mode&fs.ModeSocket != 0:
		return "socket"
	case mode&fs.ModeCharDevice != 0:
		return "character device"
	case mode&fs.ModeDevice != 0:
		return "device"
	}
	return mode.Type().String()
}
