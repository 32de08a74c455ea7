package release

import (
	"os"
	"path"
)

// extractDirs remembers the directories an extraction made, so that the
// parents of the next file in the same directory are not made again.
// Entries below a symlink are refused before they get here, so a remembered
// directory is never a link.
type extractDirs struct {
	root *os.Root
	made map[string]bool
}

func newExtractDirs(root *os.Root) *extractDirs {
	return &extractDirs{root: root, made: map[string]bool{".": true}}
}

// mkdirAll makes dir (and its parents) unless this extraction made it.
func (d *extractDirs) mkdirAll(dir string, perm os.FileMode) error {
	if d.made[dir] {
		return nil
	}
	if err := d.root.MkdirAll(dir, perm); err != nil {
		return err
	}
	for p := dir; p != "." && !d.made[p]; p = path.Dir(p) {
		d.made[p] = true
	}
	return nil
}
