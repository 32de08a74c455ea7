package release

import (
	"os"

	"golang.org/x/sys/unix"
)

// extractSyncTree flushes the whole unpacked tree before it is renamed into
// place, so a power cut cannot leave a stack directory whose files are
// empty. One syncfs costs what one fsync does; an fsync per file costs
// minutes on a release of tens of thousands of files.
func extractSyncTree(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}

// extractRename moves the finished tree to dest, failing if dest appeared
// meanwhile: a plain rename(2) would silently replace an empty directory.
func extractRename(tmp, dest string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dest, unix.RENAME_NOREPLACE)
	if err == unix.ENOSYS || err == unix.EINVAL {
		// Filesystems without RENAME_NOREPLACE (some network ones):
		// fall back to the checked rename.
		return extractRenameChecked(tmp, dest)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: tmp, New: dest, Err: err}
	}
	return nil
}
