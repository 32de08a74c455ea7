package stacks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stackWith writes files (path → content) into a fresh stack directory;
// paths ending in ".sh.tmpl" are made executable.
func stackWith(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh.tmpl") {
			mode = 0o755
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readRendered(t *testing.T, dir, name string) (string, os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("rendered file: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b), fi.Mode()
}

func demoData(dir string, instance int) TemplateData {
	return TemplateData{
		Service:  "demo",
		Slot:     "blue",
		Instance: instance,
		Port:     8080 + instance,
		Release:  "r7",
		StackDir: dir,
		VarDir:   filepath.Join(dir, "var", "instance1"),
		ZEO:      &ZEOData{Address: "127.0.0.1:8100", Storages: []string{"main", "catalog"}},
	}
}

const zopeConf = `# {{.Service}}/{{.Slot}} release {{.Release}}
%define INSTANCE {{.StackDir}}
http-address 127.0.0.1:{{.Port}}
instance {{.Instance}}
var {{.VarDir}}
{{with .ZEO}}<zeoclient>
  server {{.Address}}
  client {{$.ClientName}}
{{- range .Storages}}
  storage {{.}}
{{- end}}
</zeoclient>
{{else}}<filestorage/>
{{end}}`

func TestRenderTemplates_RendersEveryFieldWithModesAndNamedDestinations(t *testing.T) {
	dir := stackWith(t, map[string]string{
		"etc/zope.conf.tmpl": zopeConf,
		"bin/run.sh.tmpl":    "#!/bin/sh\nexec app --port {{.Port}}\n",
	})
	err := RenderTemplates(dir, []Template{
		{Source: "etc/zope.conf.tmpl", Destination: "etc/zope-{{.Instance}}.conf"},
		{Source: "bin/run.sh.tmpl", Destination: "bin/run-{{.ClientName}}"},
	}, demoData(dir, 1))
	if err != nil {
		t.Fatalf("RenderTemplates: %v", err)
	}

	got, mode := readRendered(t, dir, "etc/zope-1.conf")
	want := "# demo/blue release r7\n%define INSTANCE " + dir + "\nhttp-address 127.0.0.1:8081\ninstance 1\n" +
		"var " + filepath.Join(dir, "var", "instance1") + "\n" +
		"<zeoclient>\n  server 127.0.0.1:8100\n  client demo-blue-1\n  storage main\n  storage catalog\n</zeoclient>\n"
	if got != want {
		t.Errorf("zope-1.conf =\n%s\nwant\n%s", got, want)
	}
	if mode != 0o644 {
		t.Errorf("zope-1.conf mode = %v, want 0644", mode)
	}
	if _, mode := readRendered(t, dir, "bin/run-demo-blue-1"); mode != 0o755 {
		t.Errorf("rendered script mode = %v, want 0755 like its executable source", mode)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "etc"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}

	// The same input renders the same bytes.
	if err := RenderTemplates(dir, []Template{{Source: "etc/zope.conf.tmpl", Destination: "etc/zope-{{.Instance}}.conf"}},
		demoData(dir, 1)); err != nil {
		t.Fatal(err)
	}
	if again, _ := readRendered(t, dir, "etc/zope-1.conf"); again != got {
		t.Errorf("rendering twice differs:\n%s\n---\n%s", got, again)
	}
}

func TestRenderTemplates_ErrorsNameTheFileAndLineAndWriteNothing(t *testing.T) {
	dir := stackWith(t, map[string]string{
		"etc/good.tmpl":      "port {{.Port}}\n",
		"etc/zope.conf.tmpl": "a\nb\n{{.Port}} {{.NoSuchField}}\n",
		"etc/broken.tmpl":    "one\n{{.Port | nosuchfunc}}\n",
		"etc/nozeo.tmpl":     "\n\nzeo {{.ZEO.Address}}\n",
	})
	data := demoData(dir, 1)
	data.ZEO = nil
	err := RenderTemplates(dir, []Template{
		{Source: "etc/good.tmpl", Destination: "etc/good.conf"},
		{Source: "etc/zope.conf.tmpl", Destination: "etc/zope.conf"},
		{Source: "etc/broken.tmpl", Destination: "etc/broken.conf"},
		{Source: "etc/nozeo.tmpl", Destination: "etc/nozeo.conf"},
		{Source: "etc/good.tmpl", Destination: "etc/{{.Nope}}.conf"},
		{Source: "etc/missing.tmpl", Destination: "etc/missing.conf"},
	}, data)
	if err == nil {
		t.Fatal("RenderTemplates succeeded")
	}
	t.Logf("RenderTemplates:\n%v", err)
	for _, want := range []string{
		"etc/zope.conf.tmpl:3:", "can't evaluate field NoSuchField",
		"etc/broken.tmpl:2:", "nosuchfunc",
		"etc/nozeo.tmpl:3:", "nil pointer",
		"destination of etc/good.tmpl:1:", "Nope",
		"template etc/missing.tmpl: no such file",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "etc/good.conf")); err == nil {
		t.Error("a template was written although others failed")
	}
}

func TestExecute_AMissingMapKeyIsAnErrorWithFileAndLine(t *testing.T) {
	// TemplateData has no maps today; missingkey=error keeps a map added
	// later from rendering "<no value>" into a configuration file.
	_, err := execute("etc/app.ini.tmpl", "x\n{{.present}} {{.absent}}\n", map[string]string{"present": "1"})
	if err == nil || !strings.HasPrefix(err.Error(), "etc/app.ini.tmpl:2:") || !strings.Contains(err.Error(), "absent") {
		t.Errorf("execute error = %v, want one starting with etc/app.ini.tmpl:2: naming the key", err)
	}
}

func TestRenderTemplates_RefusesToWriteOutsideTheStackDirectory(t *testing.T) {
	outside := t.TempDir()
	dir := stackWith(t, map[string]string{"etc/x.tmpl": "x\n"})
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ source, dest string }{
		{"etc/x.tmpl", "../x.conf"},
		{"etc/x.tmpl", filepath.Join(outside, "x.conf")},
		{"etc/x.tmpl", "etc/{{.Slot}}/../../../x.conf"},
		{"etc/x.tmpl", "out/x.conf"}, // through a symbolic link
		{"etc/x.tmpl", ""},
		{"etc/x.tmpl", "."},
		{"../" + filepath.Base(dir) + "/etc/x.tmpl", "etc/x.conf"},
		{"etc/x.tmpl", "etc/x.tmpl"}, // would destroy the template
	} {
		err := RenderTemplates(dir, []Template{{Source: tc.source, Destination: tc.dest}}, demoData(dir, 1))
		if err == nil {
			t.Errorf("%q → %q: RenderTemplates succeeded", tc.source, tc.dest)
			continue
		}
		t.Logf("%q → %q: %v", tc.source, tc.dest, err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside the stack directory: %v", entries)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "etc/x.tmpl")); string(b) != "x\n" {
		t.Errorf("the template source was changed to %q", b)
	}
}

func TestRenderTemplates_RefusesTwoTemplatesWritingTheSameFile(t *testing.T) {
	dir := stackWith(t, map[string]string{"a.tmpl": "a", "b.tmpl": "b"})
	err := RenderTemplates(dir, []Template{
		{Source: "a.tmpl", Destination: "etc/app.conf"},
		{Source: "b.tmpl", Destination: "etc/./app.conf"},
	}, demoData(dir, 1))
	if err == nil || !strings.Contains(err.Error(), "also rendered from a.tmpl") {
		t.Errorf("RenderTemplates error = %v, want the clash named", err)
	}
}

func TestRenderTemplates_TwoInstancesGetTheirOwnClientNameAndFiles(t *testing.T) {
	dir := stackWith(t, map[string]string{"etc/zope.conf.tmpl": zopeConf})
	tmpl := []Template{{Source: "etc/zope.conf.tmpl", Destination: "etc/zope-{{.Instance}}.conf"}}
	for _, n := range []int{1, 2} {
		if err := RenderTemplates(dir, tmpl, demoData(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	one, _ := readRendered(t, dir, "etc/zope-1.conf")
	two, _ := readRendered(t, dir, "etc/zope-2.conf")
	if !strings.Contains(one, "client demo-blue-1\n") || !strings.Contains(two, "client demo-blue-2\n") {
		t.Errorf("client names not per instance:\n%s\n---\n%s", one, two)
	}
}

func TestRenderTemplates_WithoutZEOTheBlockIsLeftOut(t *testing.T) {
	dir := stackWith(t, map[string]string{"etc/zope.conf.tmpl": zopeConf})
	data := demoData(dir, 1)
	data.ZEO = nil
	if err := RenderTemplates(dir, []Template{{Source: "etc/zope.conf.tmpl", Destination: "etc/zope.conf"}}, data); err != nil {
		t.Fatal(err)
	}
	got, _ := readRendered(t, dir, "etc/zope.conf")
	if strings.Contains(got, "zeoclient") || !strings.HasSuffix(got, "<filestorage/>\n") {
		t.Errorf("zope.conf without ZEO =\n%s", got)
	}
}

func TestClientName_IsUniqueAndSafeAsAFileName(t *testing.T) {
	if got := ClientName("demo", "blue", 1); got != "demo-blue-1" {
		t.Errorf("ClientName = %q, want demo-blue-1", got)
	}
	seen := map[string][3]any{}
	for _, c := range []struct {
		service, slot string
		n             int
	}{
		{"demo", "blue", 1}, {"demo", "blue", 2}, {"demo", "green", 1},
		{"my-shop", "blue", 1}, {"my", "shop-blue", 1}, {"my-shop-blue", "", 1},
		{"a_2db", "c", 1}, {"a-b", "c", 1}, {"a/b", "c", 1}, {"..", "..", 1}, {"ä", "blue", 1},
	} {
		name := ClientName(c.service, c.slot, c.n)
		if prev, dup := seen[name]; dup {
			t.Errorf("ClientName(%q, %q, %d) = %q, same as %v", c.service, c.slot, c.n, name, prev)
		}
		seen[name] = [3]any{c.service, c.slot, c.n}
		if strings.ContainsAny(name, "/\x00 ") || name == "." || name == ".." || !filepath.IsLocal(name) {
			t.Errorf("ClientName(%q, %q, %d) = %q is not a safe file name", c.service, c.slot, c.n, name)
		}
	}
}
