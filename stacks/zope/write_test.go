package zope

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"deploy/config"
)

// tempInstance is blue-1 of "site" with a var dir that does not exist yet.
func tempInstance(t *testing.T) Instance {
	t.Helper()
	in := siteInstance("blue", 9101, 1)
	in.VarDir = filepath.Join(t.TempDir(), "var", "1")
	return in
}

func TestWrite_CreatesEtcAndWritesWhatRenderRenders(t *testing.T) {
	in := tempInstance(t)
	files, err := Write(siteZope(), in)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	want := Files{ZopeConf: filepath.Join(in.VarDir, "etc", "zope.conf"), WSGIIni: filepath.Join(in.VarDir, "etc", "wsgi.ini")}
	if files != want {
		t.Errorf("Write returned %+v, want %+v", files, want)
	}
	conf, ini, _ := Render(siteZope(), in)
	for path, content := range map[string][]byte{files.ZopeConf: conf, files.WSGIIni: ini} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, content) {
			t.Errorf("%s differs from what Render renders", path)
		}
		if fi, _ := os.Stat(path); fi.Mode() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", path, fi.Mode())
		}
	}
	assertOnlyTheTwoFiles(t, filepath.Join(in.VarDir, "etc"))
}

func TestWrite_ReplacesTheFilesAtomically(t *testing.T) {
	in := tempInstance(t)
	files, err := Write(siteZope(), in)
	if err != nil {
		t.Fatal(err)
	}
	// A reader that has the old file open keeps reading it whole, and a
	// mode someone changed does not survive: the file is a new one, renamed
	// over the old, never rewritten in place.
	old, err := os.Open(files.WSGIIni)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldInfo, _ := old.Stat()
	if err := os.Chmod(files.ZopeConf, 0o600); err != nil {
		t.Fatal(err)
	}

	in.Port = 9111
	if _, err := Write(siteZope(), in); err != nil {
		t.Fatal(err)
	}
	newInfo, err := os.Stat(files.WSGIIni)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(oldInfo, newInfo) {
		t.Error("wsgi.ini was rewritten in place, not replaced")
	}
	oldContent := make([]byte, oldInfo.Size()+1)
	n, _ := old.Read(oldContent)
	if !bytes.Contains(oldContent[:n], []byte("\nport = 9101\n")) {
		t.Error("the open old wsgi.ini changed under its reader")
	}
	if b, _ := os.ReadFile(files.WSGIIni); !bytes.Contains(b, []byte("\nport = 9111\n")) {
		t.Error("the new wsgi.ini does not have the new port")
	}
	if fi, _ := os.Stat(files.ZopeConf); fi.Mode() != 0o644 {
		t.Errorf("zope.conf has mode %v after a rewrite, want 0644", fi.Mode())
	}
	assertOnlyTheTwoFiles(t, filepath.Join(in.VarDir, "etc"))
}

func TestWrite_WritesNothingWhenAValueIsRefused(t *testing.T) {
	in := tempInstance(t)
	z := siteZope()
	z.Mounts[1].Path = "/a\nb"
	if _, err := Write(z, in); err == nil {
		t.Fatal("Write succeeded")
	}
	if _, err := os.Stat(in.VarDir); !os.IsNotExist(err) {
		t.Errorf("the var dir was created although nothing could be written: %v", err)
	}
}

func assertOnlyTheTwoFiles(t *testing.T, etc string) {
	t.Helper()
	entries, err := os.ReadDir(etc)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"wsgi.ini", "zope.conf"}) {
		t.Errorf("etc/ holds %q, want only wsgi.ini and zope.conf (no temporary files)", names)
	}
}

func TestCommand_DefaultsToRunwsgiOnTheInstancesIni(t *testing.T) {
	f := Files{ZopeConf: "/v/etc/zope.conf", WSGIIni: "/v/etc/wsgi.ini"}
	if got := Command(config.Zope{}, f); !slices.Equal(got, []string{"bin/runwsgi", "/v/etc/wsgi.ini"}) {
		t.Errorf("Command = %q", got)
	}
}

func TestCommand_AConfiguredCommandGetsTheIniAsItsLastArgument(t *testing.T) {
	f := Files{ZopeConf: "/v/etc/zope.conf", WSGIIni: "/v/etc/wsgi.ini"}
	cmd := make([]string, 2, 8) // room to grow: append must not write into it
	copy(cmd, []string{"bin/zope-wsgi", "-v"})
	z := config.Zope{Command: cmd}
	got := Command(z, f)
	if !slices.Equal(got, []string{"bin/zope-wsgi", "-v", "/v/etc/wsgi.ini"}) {
		t.Errorf("Command = %q", got)
	}
	got[0] = "changed"
	if z.Command[0] != "bin/zope-wsgi" || cmd[:3][2] != "" {
		t.Error("Command shares memory with z.Command")
	}
}
