// Package release makes an application build into an immutable, relocatable
// release: an archive plus a manifest. Build replaces the absolute build
// directory in the tree with a placeholder; Extract unpacks a release safely
// into a fresh stack directory and resolves the placeholder to that
// directory, so one build can run in many places side by side.
package release

import "time"

// Placeholder stands for the stack directory in relocated files. It is
// replaced by the absolute stack directory when a release is unpacked.
const Placeholder = "@@DEPLOY_STACK_DIR@@"

// ManifestName is the manifest's name inside an archive (at its root) and
// beside it in the release store.
const ManifestName = ".deploy-release.json"

// Archive formats.
const (
	FormatTarZst = "tar.zst"
	FormatTarGz  = "tar.gz"
	FormatZip    = "zip"
)

// Manifest describes one release. The copy inside the archive has an empty
// ArchiveSHA256 (an archive cannot contain its own checksum); the copy beside
// it has it filled in.
type Manifest struct {
	ID             string    `json:"id"`
	Created        time.Time `json:"created"`
	Source         string    `json:"source"`
	Format         string    `json:"format"`
	Files          int       `json:"files"`
	Size           int64     `json:"size"`
	ArchiveSHA256  string    `json:"archive_sha256,omitempty"`
	NeedsMigration bool      `json:"needs_migration"`
	// BuildPrefix is the absolute build directory that Placeholder replaced.
	BuildPrefix string `json:"build_prefix"`
	// FileSHA256 maps each regular file's slash-separated path in the archive
	// to the sha256 (hex) of its bytes as stored, placeholder included.
	FileSHA256 map[string]string `json:"file_sha256"`
	// Relocated lists the text files in which Placeholder must be resolved
	// at unpack time.
	Relocated []string `json:"relocated,omitempty"`
	// Absolute lists binary files that still contain BuildPrefix; a build
	// keeps them only when allowed to.
	Absolute []string `json:"absolute,omitempty"`
}
