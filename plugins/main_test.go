package plugins

import (
	"deploy/internal/lockedbuffer"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pluginDir holds the test plugin, built once by TestMain and linked under
// the name of each kind: deploy-plugin-<kind>-test.
var pluginDir string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "deploy-plugins-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "testplugin")
	build := exec.Command("go", "build", "-o", bin, "./internal/testplugin")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the test plugin:", err)
		return 1
	}
	for _, kind := range []string{KindDriver, KindCheck, KindNotifier} {
		if err := os.Link(bin, filepath.Join(dir, namePrefix+kind+"-test")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	pluginDir = dir
	return m.Run()
}

// logBuffer collects a host's log lines for the tests to read.
type logBuffer struct{ lockedbuffer.Buffer }

// waitFor polls until the log holds s, for lines that arrive from another
// process a moment after the call that caused them returned.
func (b *logBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("log never held %s; it holds:\n%s", s, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testHost returns a Host logging as JSON into the returned buffer, closed
// when the test ends.
func testHost(t *testing.T) (*Host, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	h := NewHost(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(h.Close)
	return h, logs
}

// testSpec is the test plugin of kind, as the config would name it.
func testSpec(t *testing.T, kind string) Spec {
	t.Helper()
	path, err := Find(pluginDir, kind, "test")
	if err != nil {
		t.Fatal(err)
	}
	return Spec{Name: "test", Kind: kind, Path: path, Timeout: 10 * time.Second}
}

func testStack(mode string) StackContext {
	return StackContext{
		Service: "shop", Slot: "blue", Release: "r1", StackDir: "/srv/shop/blue",
		ZEOAddress: "127.0.0.1:8100", ZEOStorages: []string{"main"},
		Instances: []InstanceContext{{Index: 1, Port: 8081, VarDir: "/srv/shop/blue/var/1", ClientName: "shop-blue-1"}},
		Config:    map[string]any{"mode": mode},
	}
}

func checkRequest(mode string) CheckRequest {
	return CheckRequest{Service: "shop", Slot: "blue", Targets: []CheckTarget{{Label: "instance 1", Addr: "127.0.0.1:8081"}},
		Config: map[string]any{"mode": mode}}
}

// wantError fails unless err holds every part.
func wantError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error holding %q, got none", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not hold %q", err, p)
		}
	}
}

// execOutput runs a program with the test's environment and returns what it
// printed.
func execOutput(path string, args ...string) (string, error) {
	out, err := exec.Command(path, args...).CombinedOutput()
	return string(out), err
}
