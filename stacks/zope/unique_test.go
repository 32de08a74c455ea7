package zope

import (
	"strings"
	"testing"

	"deploy/config"
)

// confValues returns the values of key in a rendered zope.conf, in order.
func confValues(conf []byte, key string) []string {
	var out []string
	for line := range strings.Lines(string(conf)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+" "); ok {
			out = append(out, v)
		}
	}
	return out
}

func TestRender_NoTwoInstancesShareAClientNameVarDirOrBlobDir(t *testing.T) {
	clients := map[string]string{} // value → instance that has it
	blobs := map[string]string{}
	vars := map[string]string{}
	for _, in := range siteInstances() {
		conf, ini, err := Render(siteZope(), in)
		if err != nil {
			t.Fatal(err)
		}
		who := in.goldenDir()
		for _, c := range confValues(conf, "client") {
			if prev, dup := clients[c]; dup {
				t.Errorf("client name %s of %s is also used by %s", c, who, prev)
			}
			clients[c] = who
		}
		for _, b := range confValues(conf, "blob-dir") {
			if prev, dup := blobs[b]; dup {
				t.Errorf("blob dir %s of %s is also used by %s", b, who, prev)
			}
			blobs[b] = who
		}
		// Every place Zope or ZEO writes to is the instance's own var dir.
		own := append(confValues(conf, "var"), confValues(conf, "%define INSTANCEHOME")...)
		own = append(own, confValues(conf, "%define CLIENTHOME")...)
		for _, v := range own {
			if v != in.VarDir {
				t.Errorf("%s writes to %s, not its var dir %s", who, v, in.VarDir)
			}
		}
		if prev, dup := vars[in.VarDir]; dup {
			t.Errorf("var dir %s of %s is also used by %s", in.VarDir, who, prev)
		}
		vars[in.VarDir] = who
		if !strings.Contains(string(ini), "zope_conf = "+in.VarDir+"/etc/zope.conf\n") {
			t.Errorf("wsgi.ini of %s does not load its own zope.conf", who)
		}
	}
	if len(clients) != 8 || len(blobs) != 8 || len(vars) != 4 {
		t.Errorf("got %d client names, %d blob dirs, %d var dirs; want 8, 8, 4", len(clients), len(blobs), len(vars))
	}
}

func TestRender_ClientNamesStayUniqueWithDashesInEveryPart(t *testing.T) {
	// Without escaping, "a"/"b"/1/"2-x" and "a-b"/"1"/2/"x" would both
	// give the client name "a-b-1-2-x", hence one cache file.
	seen := map[string]string{}
	for _, c := range []struct {
		service, slot string
		n             int
		mount         string
	}{
		{"a", "b", 1, "2-x"}, {"a-b", "1", 2, "x"}, {"a", "b", 1, "2_2dx"},
		{"a", "b", 1, "x"}, {"a", "b", 1, "x-"}, {"a", "b", 1, "x_"}, {"a", "b-1", 1, "x"},
	} {
		z := config.Zope{Mounts: []config.ZopeMount{{Name: c.mount, Path: "/"}}}
		in := siteInstance("blue", 9101, 1)
		in.Service, in.Slot, in.Index = c.service, c.slot, c.n
		conf, _, err := Render(z, in)
		if err != nil {
			t.Fatal(err)
		}
		name := confValues(conf, "client")[0]
		if prev, dup := seen[name]; dup {
			t.Errorf("%v and %s share the client name %s", c, prev, name)
		}
		seen[name] = c.service + "/" + c.slot + "/" + c.mount
	}
}

func TestRender_ASharedBlobDirIsSharedAndNothingElseIs(t *testing.T) {
	z := siteZope()
	z.SharedBlobDir = "/srv/zeo/site/blobs"
	clients := map[string]bool{}
	for _, in := range siteInstances() {
		conf, _, err := Render(z, in)
		if err != nil {
			t.Fatal(err)
		}
		if got := confValues(conf, "blob-dir"); len(got) != 2 || got[0] != "/srv/zeo/site/blobs/main" || got[1] != "/srv/zeo/site/blobs/session" {
			t.Errorf("%s: blob dirs %q, want the shared one per storage", in.goldenDir(), got)
		}
		if got := confValues(conf, "shared-blob-dir"); len(got) != 2 || got[0] != "on" || got[1] != "on" {
			t.Errorf("%s: shared-blob-dir %q, want on", in.goldenDir(), got)
		}
		for _, c := range confValues(conf, "client") {
			if clients[c] {
				t.Errorf("client name %s used twice", c)
			}
			clients[c] = true
		}
	}
}

func TestRender_ZeroSettingsGetTheDocumentedDefaults(t *testing.T) {
	z := config.Zope{Mounts: []config.ZopeMount{{Name: "1", Path: "/"}}}
	in := siteInstance("blue", 9101, 1)
	conf, ini, err := Render(z, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"    cache-size 30000\n",
		"        cache-size 134217728\n",
		"        blob-dir " + in.VarDir + "/blobs/1\n",
		"        client site-blue-1-1\n",
	} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("zope.conf lacks %q", want)
		}
	}
	if !strings.Contains(string(ini), "\nthreads = 4\n") {
		t.Error("wsgi.ini lacks threads = 4")
	}
}
