package release

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A release made by Build unpacks with Extract in every format: the two
// halves agree on names, checksums, the embedded manifest and relocation.
func TestExtract_UnpacksWhatBuildMakes(t *testing.T) {
	src := filepath.Join(t.TempDir(), "build")
	files := map[string]string{
		"bin/instance":  "#!/bin/sh\nexec " + src + "/bin/python -m zope\n",
		"etc/zope.conf": "%define INSTANCE " + src + "/var\n",
		"README.txt":    "a release\n",
	}
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"bin/env": "/usr/bin/env", "current": "bin/instance"} {
		if err := os.Symlink(target, filepath.Join(src, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	for _, format := range []string{FormatTarZst, FormatTarGz, FormatZip} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			m, err := Build(context.Background(), src, BuildOptions{ID: "r1", Format: format}, &buf)
			if err != nil {
				t.Fatal(err)
			}
			archive := xtWrite(t, t.TempDir(), "r1."+format, buf.Bytes())
			sb := newXtSandbox(t, t.TempDir())
			if err := Extract(context.Background(), archive, m, sb.dest, ExtractOptions{}); err != nil {
				t.Fatal(err)
			}
			xtWantFile(t, sb.dest, "bin/instance", "#!/bin/sh\nexec "+sb.dest+"/bin/python -m zope\n", 0o640)
			xtWantFile(t, sb.dest, "etc/zope.conf", "%define INSTANCE "+sb.dest+"/var\n", 0o640)
			xtWantFile(t, sb.dest, "README.txt", "a release\n", 0o640)
			xtWantLink(t, sb.dest, "bin/env", "/usr/bin/env")
			xtWantLink(t, sb.dest, "current", "bin/instance")
		})
	}
}
