package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/mholt/archives"
)

// maxManifestSize bounds the manifest read from an archive: it lists every
// file's checksum, so it grows with the release, but not without end.
const maxManifestSize = 256 << 20

// errFound stops the walk over an archive once the manifest was read.
var errFound = errors.New("manifest found")

// ReadManifest reads the manifest a release archive carries at its root
// (as deploy export writes them) and completes it with the archive's own
// checksum, so that the archive can be unpacked with Extract.
func ReadManifest(ctx context.Context, archivePath string) (*Manifest, error) {
	f, err := os.Open(archivePath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	format, stream, err := archives.Identify(ctx, archivePath, f)
	if err != nil {
		return nil, fmt.Errorf("%s is not a release archive: %w", archivePath, err)
	}
	ex, ok := format.(archives.Extractor)
	if !ok {
		return nil, fmt.Errorf("%s is not a release archive: %s cannot be extracted", archivePath, format.Extension())
	}
	var m *Manifest
	err = ex.Extract(ctx, stream, func(_ context.Context, fi archives.FileInfo) error {
		if path.Clean(fi.NameInArchive) != ManifestName {
			return nil
		}
		r, err := fi.Open()
		if err != nil {
			return err
		}
		defer r.Close()
		b, err := io.ReadAll(io.LimitReader(r, maxManifestSize))
		if err != nil {
			return err
		}
		m = &Manifest{}
		if err := json.Unmarshal(b, m); err != nil {
			return fmt.Errorf("read %s: %w", ManifestName, err)
		}
		return errFound
	})
	if err != nil && !errors.Is(err, errFound) {
		return nil, fmt.Errorf("read %s: %w", archivePath, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%s holds no %s: it was not written by deploy build or deploy export", archivePath, ManifestName)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	m.ArchiveSHA256 = hex.EncodeToString(h.Sum(nil))
	return m, nil
}
