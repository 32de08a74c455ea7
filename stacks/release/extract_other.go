//go:build !linux

package release

import (
	"os"
	"path/filepath"
)

// extractSyncTree flushes every file and directory of the unpacked tree
// before it is renamed into place. Linux does this with one syncfs.
func extractSyncTree(root *os.Root) error {
	return filepath.WalkDir(root.Name(), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Type()&os.ModeSymlink != 0 {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}

// extractRename moves the finished tree to dest. Without an atomic
// no-replace rename, a dest created after the check may be replaced when
// it is an empty directory.
func extractRename(tmp, dest string) error {
	return extractRenameChecked(tmp, dest)
}
