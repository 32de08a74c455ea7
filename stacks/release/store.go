package release

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Sentinel errors of Store.
var (
	// ErrExists is returned when creating a release whose id is taken:
	// releases are immutable.
	ErrExists = errors.New("release already exists")
	// ErrNotFound is returned for an id the store does not hold.
	ErrNotFound = errors.New("release not found")
	// ErrChecksum is returned when an archive's bytes do not match its
	// manifest.
	ErrChecksum = errors.New("release archive checksum mismatch")
)

// tmpPrefix marks work in progress (creations and removals) in the store
// directory; such entries are never releases.
const tmpPrefix = ".tmp-"

// Store keeps releases in a directory, one subdirectory per release id
// holding release.<format> and ManifestName. A release appears there
// complete or not at all.
type Store struct {
	dir string
}

// OpenStore opens the store in dir, creating it (mode 0700) if needed.
func OpenStore(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("open release store: %w", err)
	}
	return &Store{dir: abs}, nil
}

// Dir returns the store's absolute directory.
func (s *Store) Dir() string { return s.dir }

// archiveName is the archive's file name inside a release directory.
func archiveName(format string) string { return "release." + format }

// Create builds src into the store as release opts.ID. It writes into a
// temporary directory and renames it into place only when the archive and
// manifest are on disk, so a failure or a crash leaves no partial release.
func (s *Store) Create(ctx context.Context, src string, opts BuildOptions) (man *Manifest, err error) {
	if err := checkReleaseID(opts.ID); err != nil {
		return nil, err
	}
	if opts.Format == "" {
		opts.Format = FormatTarZst
	}
	if _, err := buildArchiver(opts.Format); err != nil {
		return nil, err
	}
	final := filepath.Join(s.dir, opts.ID)
	if _, err := os.Lstat(final); err == nil {
		return nil, fmt.Errorf("create release %s: %w", opts.ID, ErrExists)
	}
	tmp, err := os.MkdirTemp(s.dir, tmpPrefix+opts.ID+"-")
	if err != nil {
		return nil, fmt.Errorf("create release %s: %w", opts.ID, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()

	man, err = buildToFile(ctx, src, opts, filepath.Join(tmp, archiveName(opts.Format)))
	if err != nil {
		return nil, fmt.Errorf("create release %s: %w", opts.ID, err)
	}
	data, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeSynced(filepath.Join(tmp, ManifestName), data); err != nil {
		return nil, fmt.Errorf("create release %s: %w", opts.ID, err)
	}
	if err := syncDir(tmp); err != nil {
		return nil, fmt.Errorf("create release %s: %w", opts.ID, err)
	}
	// rename(2) refuses to replace a non-empty directory, so of two
	// concurrent creations of one id exactly one wins.
	if err := os.Rename(tmp, final); err != nil {
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			err = ErrExists
		}
		return nil, fmt.Errorf("create release %s: %w", opts.ID, err)
	}
	if err := syncDir(s.dir); err != nil {
		return nil, fmt.Errorf("create release %s: %w", opts.ID, err)
	}
	return man, nil
}

// buildToFile runs Build into a new file at name and syncs it.
func buildToFile(ctx context.Context, src string, opts BuildOptions, name string) (*Manifest, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	man, err := Build(ctx, src, opts, bw)
	if err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	return man, f.Close()
}

// writeSynced writes a new file and syncs it to disk.
func writeSynced(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// syncDir makes renames and creations in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Sweep removes the work a crash interrupted: every hidden directory of the
// store (builds, removals and imports in progress). Only the one controller
// that owns the store may call it, when nothing of its own is in progress.
func (s *Store) Sweep() error {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("sweep releases: %w", err)
	}
	for _, de := range des {
		if de.IsDir() && strings.HasPrefix(de.Name(), ".") {
			if err := os.RemoveAll(filepath.Join(s.dir, de.Name())); err != nil {
				return fmt.Errorf("sweep releases: %w", err)
			}
		}
	}
	return nil
}

// List returns the store's releases, newest first. Work in progress
// (.tmp-* entries) is ignored.
func (s *Store) List() ([]*Manifest, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	var out []*Manifest
	for _, de := range des {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") || checkReleaseID(de.Name()) != nil {
			continue
		}
		man, err := s.readManifest(de.Name())
		if err != nil {
			return nil, fmt.Errorf("list releases: %w", err)
		}
		out = append(out, man)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Get returns a release's manifest and the path of its archive.
func (s *Store) Get(id string) (*Manifest, string, error) {
	if err := checkReleaseID(id); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	man, err := s.readManifest(id)
	if err != nil {
		return nil, "", err
	}
	return man, filepath.Join(s.dir, id, archiveName(man.Format)), nil
}

// readManifest reads and checks the manifest beside release id.
func (s *Store) readManifest(id string) (*Manifest, error) {
	name := filepath.Join(s.dir, id, ManifestName)
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("release %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", id, err)
	}
	var man Manifest
	if err := json.Unmarshal(data, &man); err != nil {
		return nil, fmt.Errorf("release %s: %s: %w", id, name, err)
	}
	if man.ID != id {
		return nil, fmt.Errorf("release %s: %s names release %q", id, name, man.ID)
	}
	if _, err := buildArchiver(man.Format); err != nil {
		return nil, fmt.Errorf("release %s: %s: %w", id, name, err)
	}
	return &man, nil
}

// Remove deletes a release. It first renames the release out of the way,
// so a reader never sees a half-deleted release under its id.
func (s *Store) Remove(id string) error {
	if err := checkReleaseID(id); err != nil {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	dir := filepath.Join(s.dir, id)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove release %s: %w", id, ErrNotFound)
	}
	trash := filepath.Join(s.dir, tmpPrefix+"rm-"+id+"-"+rand.Text())
	if err := os.Rename(dir, trash); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = ErrNotFound
		}
		return fmt.Errorf("remove release %s: %w", id, err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("remove release %s: %w", id, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("remove release %s: %s: %w", id, trash, err)
	}
	return nil
}

// Verify recomputes the archive's sha256 and compares it with the
// manifest; a mismatch is ErrChecksum.
func (s *Store) Verify(id string) error {
	man, archive, err := s.Get(id)
	if err != nil {
		return err
	}
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("verify release %s: %w", id, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("verify release %s: %s: %w", id, archive, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != man.ArchiveSHA256 {
		return fmt.Errorf("verify release %s: %s: %w: expected sha256 %s, actual %s",
			id, archive, ErrChecksum, man.ArchiveSHA256, got)
	}
	return nil
}
