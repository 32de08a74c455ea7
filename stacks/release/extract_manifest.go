package release

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/mholt/archives"
)

// extractManifestMax bounds the embedded manifest we parse: 200,000
// checksums fit in a few tens of MiB.
const extractManifestMax = 64 << 20

// checkEmbeddedManifest reads the archive's own manifest instead of
// writing it: the release store keeps the authoritative copy beside the
// archive, and a stack directory has no use for it. It must still belong
// to this release, or the archive was paired with the wrong manifest.
func (x *extractor) checkEmbeddedManifest(raw string, kind extractKind, fi archives.FileInfo) error {
	if kind != kindFile {
		return x.reject(raw, nil, "the release manifest is not a regular file")
	}
	if _, dup := x.seen[ManifestName]; dup {
		return x.reject(raw, nil, "duplicate entry")
	}
	x.seen[ManifestName] = kindManifest
	rc, err := fi.Open()
	if err != nil {
		return x.reject(raw, nil, "open: %v", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, extractManifestMax+1))
	if err != nil {
		return x.reject(raw, nil, "read: %v", err)
	}
	if len(data) > extractManifestMax {
		return x.reject(raw, nil, "the release manifest is larger than %d bytes", extractManifestMax)
	}
	var inner Manifest
	if err := json.Unmarshal(data, &inner); err != nil {
		return x.reject(raw, nil, "the release manifest does not parse: %v", err)
	}
	if inner.ID != x.m.ID {
		return x.reject(raw, nil, "the archive holds release %q, not %q", inner.ID, x.m.ID)
	}
	return nil
}

// checkComplete makes sure the archive held every file the manifest
// promises: a truncated archive whose tar stream ends cleanly at an entry
// boundary would otherwise unpack into a tree that merely lacks files.
func (x *extractor) checkComplete() error {
	var missing []string
	for name := range x.m.FileSHA256 {
		if x.seen[name] != kindFile {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		reason := "listed in the manifest but missing from the archive"
		if len(missing) > 1 {
			reason += fmt.Sprintf(" (and %d more)", len(missing)-1)
		}
		return x.reject(missing[0], ErrEntryChecksum, "%s", reason)
	}
	for _, name := range x.m.Relocated {
		if x.seen[name] != kindFile {
			return x.reject(name, nil, "listed as relocated in the manifest but not a file in the archive")
		}
	}
	return nil
}
