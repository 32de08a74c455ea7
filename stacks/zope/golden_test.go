package zope

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"deploy/config"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// siteZope is the zope block of the "site" service the golden files show.
func siteZope() config.Zope {
	return config.Zope{
		Mounts: []config.ZopeMount{
			{Name: "main", Path: "/"},
			{Name: "session", Path: "/session_folder"},
		},
		CacheSize:   256 << 20,
		ObjectCache: 30000,
		Threads:     4,
	}
}

// siteInstances are two instances of each of the slots blue (9101-9102) and
// green (9201-9202).
func siteInstances() []Instance {
	var out []Instance
	for _, s := range []struct {
		name string
		base int
	}{{"blue", 9101}, {"green", 9201}} {
		for n := 1; n <= 2; n++ {
			out = append(out, siteInstance(s.name, s.base+n-1, n))
		}
	}
	return out
}

func siteInstance(slot string, port, n int) Instance {
	return Instance{
		Service:    "site",
		Slot:       slot,
		Index:      n,
		Port:       port,
		StackDir:   "/srv/deploy/site/releases/r7",
		VarDir:     "/srv/deploy/site/slots/" + slot + "/var/" + strconv.Itoa(n),
		ZEOAddress: "127.0.0.1:8100",
	}
}

func (in Instance) goldenDir() string { return in.Slot + "-" + strconv.Itoa(in.Index) }

// golden compares got with testdata/golden/<name>, or rewrites the file
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (go test ./stacks/zope/ -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: rendered file differs from the golden file: %s\n(if the change is meant, run go test ./stacks/zope/ -update and review the diff)",
			path, firstDifference(string(want), string(got)))
	}
}

// firstDifference names the first line where two texts differ.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d: want %q, got %q", i+1, wl, gl)
		}
	}
	return "no line differs"
}

func TestRender_MatchesTheGoldenFilesForTwoSlotsOfTwoInstances(t *testing.T) {
	for _, in := range siteInstances() {
		t.Run(in.goldenDir(), func(t *testing.T) {
			conf, ini, err := Render(siteZope(), in)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			golden(t, filepath.Join(in.goldenDir(), "zope.conf"), conf)
			golden(t, filepath.Join(in.goldenDir(), "wsgi.ini"), ini)
		})
	}
}

func TestRender_WithASharedBlobDirMatchesTheGoldenFile(t *testing.T) {
	z := siteZope()
	z.SharedBlobDir = "/srv/zeo/site/blobs"
	z.BlobDir = "ignored-when-shared"
	conf, ini, err := Render(z, siteInstance("blue", 9101, 1))
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	golden(t, filepath.Join("shared-blob-dir", "blue-1", "zope.conf"), conf)
	// Only zope.conf depends on where blobs live.
	_, plain, _ := Render(siteZope(), siteInstance("blue", 9101, 1))
	if !bytes.Equal(ini, plain) {
		t.Error("wsgi.ini changed with the shared blob dir")
	}
}

func TestRender_IsTheSameEveryTime(t *testing.T) {
	in := siteInstance("green", 9202, 2)
	c1, i1, _ := Render(siteZope(), in)
	c2, i2, _ := Render(siteZope(), in)
	if !bytes.Equal(c1, c2) || !bytes.Equal(i1, i2) {
		t.Error("two renderings of one instance differ")
	}
}
