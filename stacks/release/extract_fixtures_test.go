package release

import (
	"archive/tar"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Regenerate with:
//
//	go test ./stacks/release -run TestExtract_WriteFixtures -update-extract-fixtures
var updateExtractFixtures = flag.Bool("update-extract-fixtures", false,
	"rewrite testdata/extract and the FuzzExtract seeds")

// xtEvilAbs is where the absolute-name fixture tries to write.
const xtEvilAbs = "/tmp/deploy-extract-evil"

// xtFixture is a hostile archive, and the entry Extract must name when it
// refuses it.
type xtFixture struct {
	file    string
	entries []xtEntry
	limits  Limits
	entry   string
	// tweak adjusts the listed manifest to make the archive wrong for it.
	tweak func(*Manifest)
	isErr error // a sentinel the error must match, if any
}

var xtFixtures = []xtFixture{
	{file: "zip-slip.zip", entries: []xtEntry{xtFile("../evil", "pwned", 0o644)}, entry: "../evil"},
	{file: "dotdot-inside.tar.gz", entries: []xtEntry{xtDir("x"), xtFile("x/../y", "y", 0o644)}, entry: "x/../y"},
	{file: "absolute-name.tar.gz", entries: []xtEntry{xtFile(xtEvilAbs, "pwned", 0o644)}, entry: xtEvilAbs},
	{file: "backslash.zip", entries: []xtEntry{xtFile(`..\..\outside\evil`, "pwned", 0o644)}, entry: `..\..\outside\evil`},
	{file: "nul-name.zip", entries: []xtEntry{xtFile("a\x00/../../outside/evil", "pwned", 0o644)}, entry: "a\x00/../../outside/evil"},
	{file: "symlink-escape.tar.gz", entries: []xtEntry{
		xtLink("lib", "../../outside"), xtFile("lib/x", "pwned", 0o644),
	}, entry: "lib"},
	{file: "symlink-escape.zip", entries: []xtEntry{
		xtLink("lib", "../../outside"), xtFile("lib/x", "pwned", 0o644),
	}, entry: "lib"},
	{file: "symlink-write-through.tar.gz", entries: []xtEntry{
		xtLink("lib", "/etc"), xtFile("lib/passwd", "root::0:0::/:/bin/sh\n", 0o644),
	}, entry: "lib/passwd"},
	{file: "symlink-chain.tar.gz", entries: []xtEntry{
		xtLink("b", "."), xtLink("p", "b/.."),
	}, entry: "p"},
	{file: "symlink-loop.tar.gz", entries: []xtEntry{xtLink("a", "b"), xtLink("b", "a")}, entry: "a"},
	{file: "hardlink-escape.tar.gz", entries: []xtEntry{
		{name: "h", typ: tar.TypeLink, body: "../../outside/x"},
	}, entry: "h"},
	{file: "hardlink-to-symlink.tar.gz", entries: []xtEntry{
		xtLink("s", "/etc/passwd"), {name: "h", typ: tar.TypeLink, body: "s"},
	}, entry: "h"},
	{file: "device.tar.gz", entries: []xtEntry{xtDir("dev"), {name: "dev/null", typ: tar.TypeChar, mode: 0o666}}, entry: "dev/null"},
	{file: "fifo.tar.gz", entries: []xtEntry{{name: "pipe", typ: tar.TypeFifo, mode: 0o644}}, entry: "pipe"},
	{file: "bomb.tar.zst", entries: []xtEntry{xtFile("big", strings.Repeat("\x00", 1<<20), 0o644)},
		limits: Limits{MaxFileSize: 64 << 10}, entry: "big"},
	{file: "bomb-total.tar.gz", entries: []xtEntry{
		xtFile("a", strings.Repeat("a", 40<<10), 0o644), xtFile("b", strings.Repeat("b", 40<<10), 0o644),
	}, limits: Limits{MaxTotalSize: 64 << 10}, entry: "b"},
	{file: "too-many.tar.gz", entries: xtManyDirs(20), limits: Limits{MaxEntries: 10}, entry: "d10/"},
	{file: "content.tar.gz", entries: []xtEntry{xtFile("a.txt", "hello\n", 0o644)}, entry: "a.txt",
		tweak: func(m *Manifest) { m.FileSHA256["a.txt"] = xtSHA256([]byte("other\n")) }, isErr: ErrEntryChecksum},
	{file: "content.tar.gz", entry: "a.txt",
		tweak: func(m *Manifest) { delete(m.FileSHA256, "a.txt") }, isErr: ErrEntryChecksum},
	{file: "content.tar.gz", entry: "b.txt",
		tweak: func(m *Manifest) { m.FileSHA256["b.txt"] = xtSHA256(nil) }, isErr: ErrEntryChecksum},
	{file: "wrong-release.tar.gz", entries: []xtEntry{xtFile(ManifestName, `{"id":"other"}`, 0o644)},
		tweak: func(m *Manifest) { m.ID = "mine" }, entry: ManifestName},
	{file: "duplicate.tar.gz", entries: []xtEntry{
		xtFile("a", "a", 0o644), xtLink("a", "/etc/passwd"),
	}, entry: "a"},
}

func xtManyDirs(n int) []xtEntry {
	var entries []xtEntry
	for i := range n {
		entries = append(entries, xtDir(fmt.Sprintf("d%02d/", i)))
	}
	return entries
}

// xtFixtureFormat is the format a fixture's file name says.
func xtFixtureFormat(file string) string {
	for _, f := range []string{FormatTarZst, FormatTarGz, FormatZip} {
		if strings.HasSuffix(file, "."+f) {
			return f
		}
	}
	panic("fixture name without a format: " + file)
}

func TestExtract_WriteFixtures(t *testing.T) {
	if !*updateExtractFixtures {
		t.Skip("run with -update-extract-fixtures to rewrite testdata/extract")
	}
	seeds := filepath.Join("testdata", "fuzz", "FuzzExtract")
	for _, d := range []string{filepath.Join("testdata", "extract"), seeds} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, fx := range xtFixtures {
		if fx.entries == nil {
			continue // reuses another fixture's file
		}
		data := xtArchive(t, xtFixtureFormat(fx.file), fx.entries)
		xtWrite(t, filepath.Join("testdata", "extract"), fx.file, data)
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		xtWrite(t, seeds, strings.NewReplacer(".", "-").Replace(fx.file), []byte(seed))
	}
}

func TestExtract_RefusesHostileArchivesAndLeavesNothing(t *testing.T) {
	for _, fx := range xtFixtures {
		t.Run(fx.file+"/"+fx.entry, func(t *testing.T) {
			t.Parallel()
			archive := filepath.Join("testdata", "extract", fx.file)
			m := xtManifest(t, archive)
			if fx.tweak != nil {
				fx.tweak(m)
			}
			sb := newXtSandbox(t, t.TempDir())
			err := Extract(context.Background(), archive, m, sb.dest, ExtractOptions{Limits: fx.limits})
			if err == nil {
				t.Fatal("Extract accepted a hostile archive")
			}
			if got := xtEntryOf(t, err); got != fx.entry {
				t.Errorf("rejected entry %q, want %q (error: %v)", got, fx.entry, err)
			}
			if fx.isErr != nil && !errors.Is(err, fx.isErr) {
				t.Errorf("error %v is not %v", err, fx.isErr)
			}
			t.Log(err)
			sb.assertNothingLeft(t)
			if _, err := os.Lstat(xtEvilAbs); err == nil {
				t.Errorf("%s exists", xtEvilAbs)
			}
		})
	}
}

// A symlink into the stack directory's parent can only be made at test
// time: the parent's path is the test's temporary directory.
func TestExtract_RefusesAbsoluteSymlinkIntoTheStacksDirectory(t *testing.T) {
	sb := newXtSandbox(t, t.TempDir())
	for _, target := range []string{filepath.Join(sb.stacks, "green"), sb.dest + "/var", sb.base, "/"} {
		t.Run(target, func(t *testing.T) {
			data := xtArchive(t, FormatTarGz, []xtEntry{xtLink("up", target)})
			archive := xtWrite(t, t.TempDir(), "up.tar.gz", data)
			err := Extract(context.Background(), archive, xtManifest(t, archive), sb.dest, ExtractOptions{})
			if err == nil {
				t.Fatalf("Extract accepted a link to %s", target)
			}
			if got := xtEntryOf(t, err); got != "up" {
				t.Errorf("rejected entry %q, want up", got)
			}
			t.Log(err)
			sb.assertNothingLeft(t)
		})
	}
}
