package release

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExtract feeds arbitrary bytes to Extract as an archive. The manifest
// is built by listing the archive first, so that checksums match and the
// fuzzer gets past the verification into the unpacking code. Whatever the
// input, Extract must not panic, must leave nothing behind when it fails,
// and must never write outside the stacks directory.
func FuzzExtract(f *testing.F) {
	for _, format := range []string{FormatTarZst, FormatTarGz, FormatZip} {
		f.Add(xtArchive(f, format, xtRelease()))
	}
	// testdata/fuzz/FuzzExtract holds the hostile fixtures as seeds too.
	f.Fuzz(func(t *testing.T, data []byte) {
		archive := xtWrite(t, t.TempDir(), "fuzz", data)
		m := xtManifest(t, archive)
		// Relocate every file: the placeholder path runs on whatever the
		// fuzzer puts in them.
		for name := range m.FileSHA256 {
			m.Relocated = append(m.Relocated, name)
		}
		sb := newXtSandbox(t, t.TempDir())
		lim := Limits{MaxEntries: 500, MaxTotalSize: 4 << 20, MaxFileSize: 1 << 20}
		err := Extract(context.Background(), archive, m, sb.dest, ExtractOptions{Limits: lim})
		if err != nil {
			sb.assertNothingLeft(t)
			return
		}
		xtWantOnly(t, sb.outside)
		xtWantOnly(t, sb.stacks, "blue")
		sb.assertOnlyTree(t)
		xtAssertLinksStayInside(t, sb)
	})
}

// xtAssertLinksStayInside follows every link of an accepted tree on the
// real filesystem: none may land in the sandbox outside the tree, nor on
// one of the sandbox's ancestors. System paths are fine.
func xtAssertLinksStayInside(t *testing.T, sb xtSandbox) {
	t.Helper()
	base, _ := filepath.EvalSymlinks(sb.base)
	dest, _ := filepath.EvalSymlinks(sb.dest)
	err := filepath.WalkDir(sb.dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil // dangling or a loop the kernel refuses: harmless
		}
		if xtUnder(real, dest) {
			return nil
		}
		if xtUnder(real, base) || xtUnder(base, real) {
			target, _ := os.Readlink(p)
			t.Errorf("link %s -> %s resolves to %s", p, target, real)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func xtUnder(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}
