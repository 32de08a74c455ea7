package release

import (
	"archive/tar"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// xtRelease is a small release tree with everything a Zope build has:
// scripts and config that name the build directory, a setuid leftover,
// relative and absolute links, a hard link, implicit directories.
func xtRelease() []xtEntry {
	return []xtEntry{
		xtFile(ManifestName, `{"id":"r1"}`, 0o644),
		xtDir("bin/"),
		xtFile("bin/instance", "#!/bin/sh\nexec "+Placeholder+"/bin/python -m zope\n", 0o755),
		xtFile("bin/suid", "x", 0o4755),
		xtLink("bin/env", "/usr/bin/env"),
		{name: "etc/", typ: tar.TypeDir, mode: 0o750},
		xtFile("etc/zope.conf", "%define INSTANCE "+Placeholder+"/var\n"+Placeholder+"\n", 0o640),
		xtFile("README.txt", "built in "+Placeholder+"\n", 0o444),
		xtFile("deep/er/empty", "", 0o600),
		xtLink("lib/bin", "../bin"),
		xtLink("current", "bin/instance"),
		xtLink("var", "data/var"), // dangling: the stack creates it
		xtFile("docs/a.txt", "same\n", 0o644),
		{name: "docs/b.txt", typ: tar.TypeLink, body: "docs/a.txt"},
	}
}

func xtReleaseManifest(t *testing.T, archive string) *Manifest {
	m := xtManifest(t, archive)
	m.Relocated = []string{"bin/instance", "etc/zope.conf"}
	return m
}

func TestExtract_UnpacksAReleaseWithModesLinksAndPlaceholders(t *testing.T) {
	for _, format := range []string{FormatTarZst, FormatTarGz} {
		t.Run(format, func(t *testing.T) {
			archive := xtWrite(t, t.TempDir(), "r1."+format, xtArchive(t, format, xtRelease()))
			m := xtReleaseManifest(t, archive)
			m.Format = format
			sb := newXtSandbox(t, t.TempDir())
			var done, total, calls int64
			opts := ExtractOptions{Progress: func(d, tot int64) {
				if d < done {
					t.Errorf("progress went back from %d to %d", done, d)
				}
				done, total, calls = d, tot, calls+1
			}}
			var sumDone, sumTotal int64
			opts.ChecksumProgress = func(d, tot int64) { sumDone, sumTotal = d, tot }
			if err := Extract(context.Background(), archive, m, sb.dest, opts); err != nil {
				t.Fatal(err)
			}
			if calls == 0 || done != m.Size || total != m.Size {
				t.Errorf("progress ended at %d/%d after %d calls, want %d/%d", done, total, calls, m.Size, m.Size)
			}
			if fi, _ := os.Stat(archive); sumDone != fi.Size() || sumTotal != fi.Size() {
				t.Errorf("checksum progress ended at %d/%d, want the archive's %d bytes", sumDone, sumTotal, fi.Size())
			}
			d := sb.dest
			xtWantFile(t, d, "bin/instance", "#!/bin/sh\nexec "+d+"/bin/python -m zope\n", 0o755)
			xtWantFile(t, d, "etc/zope.conf", "%define INSTANCE "+d+"/var\n"+d+"\n", 0o640)
			xtWantFile(t, d, "README.txt", "built in "+Placeholder+"\n", 0o444)
			xtWantFile(t, d, "bin/suid", "x", 0o755)
			xtWantFile(t, d, "deep/er/empty", "", 0o600)
			xtWantFile(t, d, "docs/b.txt", "same\n", 0o644)
			xtWantLink(t, d, "bin/env", "/usr/bin/env")
			xtWantLink(t, d, "lib/bin", "../bin")
			xtWantLink(t, d, "current", "bin/instance")
			xtWantLink(t, d, "var", "data/var")
			xtWantMode(t, d, ".", fs.ModeDir|0o755)
			xtWantMode(t, d, "etc", fs.ModeDir|0o750)
			if _, err := os.Lstat(filepath.Join(d, ManifestName)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the release manifest was unpacked (%v)", err)
			}
			a, _ := os.Stat(filepath.Join(d, "docs/a.txt"))
			b, _ := os.Stat(filepath.Join(d, "docs/b.txt"))
			if !os.SameFile(a, b) {
				t.Error("docs/b.txt is not a hard link to docs/a.txt")
			}
			xtWantOnly(t, sb.stacks, "blue")
			sb.assertOnlyTree(t)
		})
	}
}

func TestExtract_UnpacksAZipRelease(t *testing.T) {
	var entries []xtEntry
	for _, e := range xtRelease() {
		if e.typ != tar.TypeLink { // zip has no hard links
			entries = append(entries, e)
		}
	}
	archive := xtWrite(t, t.TempDir(), "r1.zip", xtArchive(t, FormatZip, entries))
	m := xtReleaseManifest(t, archive)
	sb := newXtSandbox(t, t.TempDir())
	if err := Extract(context.Background(), archive, m, sb.dest, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	xtWantFile(t, sb.dest, "etc/zope.conf", "%define INSTANCE "+sb.dest+"/var\n"+sb.dest+"\n", 0o640)
	xtWantLink(t, sb.dest, "lib/bin", "../bin")
	xtWantLink(t, sb.dest, "bin/env", "/usr/bin/env")
}

func TestExtract_RelocatesLargeFilesAcrossChunkBoundaries(t *testing.T) {
	old := extractRelocateInMemory
	extractRelocateInMemory = 1 << 10
	t.Cleanup(func() { extractRelocateInMemory = old })

	// Placeholders straddle the 1 MiB chunk edge of the streaming rewrite.
	body := strings.Repeat("x", 1<<20-5) + Placeholder + strings.Repeat("y", 1<<20) + Placeholder + "\n"
	archive := xtWrite(t, t.TempDir(), "big.tar.gz", xtArchive(t, FormatTarGz, []xtEntry{xtFile("big.cfg", body, 0o640)}))
	m := xtManifest(t, archive)
	m.FileSHA256["big.cfg"] = xtSHA256([]byte(body)) // beyond xtManifest's read bound
	m.Relocated = []string{"big.cfg"}
	sb := newXtSandbox(t, t.TempDir())
	if err := Extract(context.Background(), archive, m, sb.dest, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	xtWantFile(t, sb.dest, "big.cfg", strings.ReplaceAll(body, Placeholder, sb.dest), 0o640)
	xtWantOnly(t, sb.dest, "big.cfg")
}

func TestExtract_OneFlippedByteIsRefusedBeforeAnythingIsWritten(t *testing.T) {
	data := xtArchive(t, FormatTarZst, xtRelease())
	dir := t.TempDir()
	m := xtReleaseManifest(t, xtWrite(t, dir, "good.tar.zst", data))
	data[len(data)/2] ^= 0x01
	archive := xtWrite(t, dir, "bad.tar.zst", data)
	sb := newXtSandbox(t, t.TempDir())
	err := Extract(context.Background(), archive, m, sb.dest, ExtractOptions{})
	if !errors.Is(err, ErrArchiveSHA256) {
		t.Fatalf("error %v, want ErrArchiveSHA256", err)
	}
	sb.assertNothingLeft(t)
}

func TestExtract_RefusesAnExistingStackDirectoryAndLeavesItAlone(t *testing.T) {
	archive := xtWrite(t, t.TempDir(), "r1.tar.gz", xtArchive(t, FormatTarGz, xtRelease()))
	sb := newXtSandbox(t, t.TempDir())
	xtWrite(t, sb.stacks, "blue", []byte("mine"))
	if err := Extract(context.Background(), archive, xtReleaseManifest(t, archive), sb.dest, ExtractOptions{}); err == nil {
		t.Fatal("Extract overwrote an existing stack directory")
	}
	if b, _ := os.ReadFile(sb.dest); string(b) != "mine" {
		t.Errorf("dest changed to %q", b)
	}
	xtWantOnly(t, sb.stacks, "blue")
}

func TestExtract_RefusesAFormatOtherThanTheManifestSays(t *testing.T) {
	archive := xtWrite(t, t.TempDir(), "r1.tar.gz", xtArchive(t, FormatTarGz, xtRelease()))
	m := xtReleaseManifest(t, archive)
	m.Format = FormatZip
	sb := newXtSandbox(t, t.TempDir())
	if err := Extract(context.Background(), archive, m, sb.dest, ExtractOptions{}); err == nil {
		t.Fatal("Extract accepted a tar.gz declared as zip")
	}
	sb.assertNothingLeft(t)
}

func TestExtract_StopsWhenCancelledAndLeavesNothing(t *testing.T) {
	archive := xtWrite(t, t.TempDir(), "r1.tar.gz", xtArchive(t, FormatTarGz, xtRelease()))
	m := xtReleaseManifest(t, archive)
	sb := newXtSandbox(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel once the first file's bytes are flowing: the walk is under way.
	opts := ExtractOptions{Progress: func(int64, int64) { cancel() }}
	err := Extract(ctx, archive, m, sb.dest, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	sb.assertNothingLeft(t)
}

func xtWantFile(t *testing.T, dir, name, body string, perm fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Error(err)
		return
	}
	if string(got) != body {
		t.Errorf("%s holds %.200q, want %.200q", name, got, body)
	}
	xtWantMode(t, dir, name, perm)
}

func xtWantMode(t *testing.T, dir, name string, mode fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(filepath.Join(dir, name))
	if err != nil {
		t.Error(err)
		return
	}
	if fi.Mode() != mode {
		t.Errorf("%s has mode %v, want %v", name, fi.Mode(), mode)
	}
}

func xtWantLink(t *testing.T, dir, name, target string) {
	t.Helper()
	got, err := os.Readlink(filepath.Join(dir, name))
	if err != nil || got != target {
		t.Errorf("%s links to %q (%v), want %q", name, got, err, target)
	}
}

// xtWantOnly checks dir holds exactly the names given.
func xtWantOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}
