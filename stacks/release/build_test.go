package release

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeTestFile creates dir/name with content and mode, making parents.
func writeTestFile(t *testing.T, dir, name, content string, mode fs.FileMode) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	// Chmod after writing: WriteFile's mode is filtered by the umask and
	// cannot set setuid.
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func symlinkTest(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// zopeTree builds a small buildout-like tree at dir with the build path
// baked in the places a real one has it.
func zopeTree(t *testing.T, dir string) {
	t.Helper()
	writeTestFile(t, dir, "bin/instance", "#!"+dir+"/bin/python\nimport sys\nsys.path[0:0] = [\n  '"+dir+"/src/app',\n  ]\n", 0o755)
	writeTestFile(t, dir, "lib/site-packages/x.pth", dir+"/src/app\n", 0o644)
	writeTestFile(t, dir, "lib/site-packages/app.egg-link", dir+"/src/app\n.", 0o644)
	writeTestFile(t, dir, "etc/zope.conf", "%define INSTANCE "+dir+"\ninstancehome $INSTANCE\nclienthome "+dir+"/var\nPATH="+dir+"/bin:/usr/bin\nhome "+dir, 0o644)
	writeTestFile(t, dir, "src/app/__init__.py", "VERSION = '1.0'\n", 0o644)
	writeTestFile(t, dir, "data/blob.bin", "\x00\x01binary\x00without the path", 0o644)
	writeTestFile(t, dir, "bin/tool", "#!/bin/sh\necho tool\n", 0o755)
	writeTestFile(t, dir, "bin/suid", "#!/bin/sh\nid\n", 0o755|fs.ModeSetuid)
	symlinkTest(t, "/usr/bin/python3", filepath.Join(dir, "bin/python"))
	symlinkTest(t, "site-packages/x.pth", filepath.Join(dir, "lib/current.pth"))
	symlinkTest(t, dir+"/lib/site-packages/x.pth", filepath.Join(dir, "etc/abs.pth"))
	symlinkTest(t, dir, filepath.Join(dir, "var/root"))
	if err := os.MkdirAll(filepath.Join(dir, "var/log"), 0o750); err != nil {
		t.Fatal(err)
	}
}

func TestBuild_RelocatesTreeInEveryFormat(t *testing.T) {
	for _, format := range []string{FormatTarZst, FormatTarGz, FormatZip} {
		t.Run(format, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "build")
			zopeTree(t, src)
			if fi, _ := os.Stat(filepath.Join(src, "bin/suid")); fi.Mode()&fs.ModeSetuid == 0 {
				t.Fatal("test setup: setuid bit not set")
			}
			var out bytes.Buffer
			man, err := Build(context.Background(), src, BuildOptions{ID: "r1", Format: format, NeedsMigration: true}, &out)
			if err != nil {
				t.Fatal(err)
			}
			order, got := readBack(t, format, out.Bytes())

			if order[0] != ManifestName {
				t.Errorf("first entry %q, want %q", order[0], ManifestName)
			}
			var inner Manifest
			if err := json.Unmarshal(got[ManifestName].data, &inner); err != nil {
				t.Fatal(err)
			}
			want := *man
			want.ArchiveSHA256 = ""
			if !reflect.DeepEqual(inner, want) {
				t.Errorf("manifest in archive\n%+v\nwant\n%+v", inner, want)
			}
			if man.ArchiveSHA256 != sha256Hex(out.Bytes()) {
				t.Errorf("ArchiveSHA256 %s does not match the output", man.ArchiveSHA256)
			}
			if man.ID != "r1" || man.Format != format || !man.NeedsMigration || man.Source != src || man.BuildPrefix != src {
				t.Errorf("manifest header %+v", man)
			}

			wantRelocated := []string{"bin/instance", "etc/zope.conf", "lib/site-packages/app.egg-link", "lib/site-packages/x.pth"}
			if !reflect.DeepEqual(man.Relocated, wantRelocated) {
				t.Errorf("Relocated %v, want %v", man.Relocated, wantRelocated)
			}
			for _, name := range wantRelocated {
				data := string(got[name].data)
				if !strings.Contains(data, Placeholder) || strings.Contains(data, src) {
					t.Errorf("%s not relocated:\n%s", name, data)
				}
			}
			if s := string(got["bin/instance"].data); !strings.HasPrefix(s, "#!"+Placeholder+"/bin/python\n") {
				t.Errorf("bin/instance shebang: %q", s)
			}
			if s := string(got["etc/zope.conf"].data); strings.Count(s, Placeholder) != 4 {
				t.Errorf("etc/zope.conf: want 4 placeholders:\n%s", s)
			}

			links := map[string]string{
				"bin/python":      "/usr/bin/python3",
				"lib/current.pth": "site-packages/x.pth",
				"etc/abs.pth":     "../lib/site-packages/x.pth",
				"var/root":        "..",
			}
			for name, target := range links {
				if e := got[name]; e.mode&fs.ModeSymlink == 0 || e.link != target {
					t.Errorf("%s: mode %v link %q, want symlink to %q", name, e.mode, e.link, target)
				}
			}
			modes := map[string]fs.FileMode{
				"bin/tool": 0o755, "bin/suid": 0o755, "bin/instance": 0o755,
				"etc/zope.conf": 0o644, "var/log": fs.ModeDir | 0o750,
			}
			for name, mode := range modes {
				if m := got[name].mode; m&(fs.ModeType|fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != mode {
					t.Errorf("%s: mode %v, want %v", name, m, mode)
				}
			}

			var files int
			var size int64
			for name, e := range got {
				if !e.mode.IsRegular() || name == ManifestName {
					continue
				}
				files++
				size += int64(len(e.data))
				if man.FileSHA256[name] != sha256Hex(e.data) {
					t.Errorf("%s: FileSHA256 %s does not match the stored bytes", name, man.FileSHA256[name])
				}
			}
			if files != 8 || man.Files != files || man.Size != size || len(man.FileSHA256) != files {
				t.Errorf("Files %d Size %d (%d checksums), archive holds %d files of %d bytes", man.Files, man.Size, len(man.FileSHA256), files, size)
			}
		})
	}
}

func TestBuild_PrefixDoesNotMatchASiblingDirectory(t *testing.T) {
	base := t.TempDir()
	src := filepath.Join(base, "srv/build")
	writeTestFile(t, src, "etc/a.conf", "other "+src+"2/x\nalso "+src+".old and "+src+"-1\nmine "+src+"/x\nnested /home"+src+"\n", 0o644)
	writeTestFile(t, src, "etc/b.conf", "only "+src+"2\n", 0o644)
	var out bytes.Buffer
	man, err := Build(context.Background(), src, BuildOptions{ID: "r1", Format: FormatTarGz}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(man.Relocated, []string{"etc/a.conf"}) {
		t.Errorf("Relocated %v, want only etc/a.conf", man.Relocated)
	}
	_, got := readBack(t, FormatTarGz, out.Bytes())
	want := "other " + src + "2/x\nalso " + src + ".old and " + src + "-1\nmine " + Placeholder + "/x\nnested /home" + src + "\n"
	if s := string(got["etc/a.conf"].data); s != want {
		t.Errorf("etc/a.conf:\n%s\nwant\n%s", s, want)
	}
}

func TestBuild_BuildDirReachedThroughSymlinkRelocatesBothSpellings(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	link := filepath.Join(base, "site")
	writeTestFile(t, real, "bin/a", "#!"+link+"/bin/python\n", 0o755)
	writeTestFile(t, real, "bin/b", "#!"+real+"/bin/python\n", 0o755)
	symlinkTest(t, real+"/bin/a", filepath.Join(real, "bin/c"))
	symlinkTest(t, real, link)
	var out bytes.Buffer
	man, err := Build(context.Background(), link, BuildOptions{ID: "r1"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if man.Source != link || !reflect.DeepEqual(man.Relocated, []string{"bin/a", "bin/b"}) {
		t.Errorf("Source %s Relocated %v", man.Source, man.Relocated)
	}
	_, got := readBack(t, FormatTarZst, out.Bytes())
	for _, name := range []string{"bin/a", "bin/b"} {
		if s := string(got[name].data); s != "#!"+Placeholder+"/bin/python\n" {
			t.Errorf("%s: %q", name, s)
		}
	}
	if got["bin/c"].link != "a" {
		t.Errorf("bin/c -> %q, want a", got["bin/c"].link)
	}
}

func TestBuild_ReportsProgressUpToTheTotal(t *testing.T) {
	src := t.TempDir()
	writeTestFile(t, src, "big", strings.Repeat("x", 3<<20), 0o644)
	writeTestFile(t, src, "conf", src+"\n", 0o644)
	var calls int
	var last, lastTotal int64
	opts := BuildOptions{ID: "r1", Progress: func(done, total int64) {
		calls++
		if done < last || done > total {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last, lastTotal = done, total
	}}
	if _, err := Build(context.Background(), src, opts, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if calls < 3 || last != lastTotal || last < 6<<20 {
		t.Errorf("%d calls, last %d/%d", calls, last, lastTotal)
	}
}

func TestBuild_HonoursCancellation(t *testing.T) {
	src := t.TempDir()
	writeTestFile(t, src, "a", "a", 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if _, err := Build(ctx, src, BuildOptions{ID: "r1"}, &out); err == nil || out.Len() != 0 {
		t.Fatalf("got %v with %d bytes written, want context.Canceled and nothing", err, out.Len())
	}
}
