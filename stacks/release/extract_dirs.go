package release

import (
	"os"
	"path"
)

// extractDirCacheSize bounds the directory handles an extraction keeps open:
// archives list a directory's files together, so a few suffice.
const extractDirCacheSize = 64

// extractDirs remembers the directories an extraction made and keeps open
// handles on the latest ones, so that creating a file costs one openat
// instead of a walk through every component of its path. Entries below a
// symlink are refused before they get here, so a remembered directory is
// never a link.
type extractDirs struct {
	root *os.Root
	made map[string]bool
	open map[string]*os.Root
}

func newExtractDirs(root *os.Root) *extractDirs {
	return &extractDirs{root: root, made: map[string]bool{".": true}, open: map[string]*os.Root{}}
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

// openFile opens name (a clean, local, slash-separated path) through a
// handle on its directory.
func (d *extractDirs) openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	dir := path.Dir(name)
	if dir == "." {
		return d.root.OpenFile(name, flag, perm)
	}
	r, ok := d.open[dir]
	if !ok {
		if len(d.open) >= extractDirCacheSize {
			d.close()
		}
		var err error
		if r, err = d.root.OpenRoot(dir); err != nil {
			return nil, err
		}
		d.open[dir] = r
	}
	return r.OpenFile(path.Base(name), flag, perm)
}

// close releases every directory handle.
func (d *extractDirs) close() {
	for dir, r := range d.open {
		r.Close()
		delete(d.open, dir)
	}
}
