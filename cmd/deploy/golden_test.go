package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/ with the current output")

// opsConfig is the test configuration's path, absolute as the commands
// print it.
func opsConfig(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// deploy runs the CLI in-process, as main does.
func deploy(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = execute(args, &o, &e)
	return o.String(), e.String(), code
}

// mustDeploy runs a command that has to succeed.
func mustDeploy(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := deploy(t, args...)
	if code != 0 {
		t.Fatalf("deploy %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// golden compares got with testdata/NAME.golden, after writing the test
// configuration's directory, which depends on the checkout, as /etc/deploy.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = strings.ReplaceAll(got, filepath.Dir(opsConfig(t, "ops.hcl")), "/etc/deploy")
	path := filepath.Join("testdata", name+".golden")
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -run %s -update rewrites it after a deliberate change):\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}
