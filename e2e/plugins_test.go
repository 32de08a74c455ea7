package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pluginBlocks names the example plugins the suite built.
func pluginBlocks(sha256 string) string {
	pin := ""
	if sha256 != "" {
		pin = fmt.Sprintf("  sha256 = %q\n", sha256)
	}
	return fmt.Sprintf(`plugin "exec" {
  kind = "driver"   # found in plugin_dir as deploy-plugin-driver-exec
}
plugin "zmi" {
  kind = "check"
  path = %q
%s}
plugin "file" {
  kind = "notifier"
  path = %q
}`, pluginBins["check-zmi"], pin, pluginBins["notifier-file"])
}

// pluginDir is the controller setting that finds the suite's plugins by
// the naming rule.
func pluginDir() string {
	return fmt.Sprintf("plugin_dir = %q", filepath.Dir(pluginBins["driver-exec"]))
}

func TestPlugins_ReleaseRenderedCheckedAndAnnouncedByExternalPlugins(t *testing.T) {
	t.Parallel()
	events := filepath.Join(t.TempDir(), "events.jsonl")
	s := newSite(t, siteOptions{command: "none", control: pluginDir(), top: pluginBlocks(""), service: fmt.Sprintf(`
  driver = "exec"
  driver_config {
    command = [%q]
    env     = { GREETING = "hello from {client_name}" }
  }
  check "zmi" {
    plugin = "zmi"
    config = {
      user     = "admin"
      password = "secret"
      path     = "/manage_main"
      expect   = "service=demo"
    }
  }
  notify "events" {
    plugin = "file"
    config = { path = %q }
  }`, demoAppBin, events)})
	s.must("up", "demo", "--slot", "blue")
	s.must("switch", "demo", "--to", "blue")
	s.must("build", appTree(t, ""), "--release", "p1")

	out, errOut, code := s.run("release", "demo", "--release", "p1", "--watch", "1s", "--yes")
	if code != 0 {
		t.Fatalf("release through plugins: exit %d\n%s%s\n%s", code, out, errOut, s.serveLog)
	}
	if !strings.Contains(errOut, "[ok] checks          1/1 passed") {
		t.Errorf("the external check should have run on both instances' slot:\n%s", errOut)
	}
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "green" {
		t.Fatalf("after the release: %q %v", slot, err)
	}
	env, err := os.ReadFile(filepath.Join(s.dir, "state", "services", "demo", "green", "p1", "deploy", "instance-2.env"))
	if err != nil || !strings.Contains(string(env), "INSTANCE=2") {
		t.Errorf("the external driver should have rendered instance 2's env file into the release: %q %v", env, err)
	}
	waitFor(t, "the external notifier", func() bool {
		b, _ := os.ReadFile(events)
		return strings.Contains(string(b), `"event":"release"`)
	})

	var list []struct {
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Protocol int    `json:"protocol"`
		Healthy  bool   `json:"healthy"`
	}
	if err := json.Unmarshal([]byte(s.must("plugins", "--json")), &list); err != nil || len(list) != 3 {
		t.Fatalf("plugins --json: %v %+v", err, list)
	}
	for _, p := range list {
		if !p.Healthy || p.Protocol != 1 {
			t.Errorf("plugin %+v should be healthy on protocol 1", p)
		}
	}
}

func TestPlugins_ABrokenPluginFailsItsCheckWhileTheDaemonAndTheLiveSlotGoOn(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{control: pluginDir(), top: pluginBlocks(strings.Repeat("0", 64)) + fmt.Sprintf(`
plugin "flaky" {
  kind = "check"
  path = %q
}`, pluginBins["testplugin"]), service: `
  check "zmi" {
    plugin = "zmi"
    config = {
      user     = "admin"
      password = "secret"
    }
  }
  check "crash" {
    plugin = "flaky"
    config = { mode = "crash" }
    retries = 0
  }`})
	s.must("up", "demo", "--slot", "blue")
	s.must("switch", "demo", "--to", "blue", "--skip-checks")

	out, _, code := s.run("check", "demo", "--slot", "blue")
	t.Logf("check output:\n%s", out)
	if code != 3 || !strings.Contains(out, "sha256") || !strings.Contains(out, "exited during Check") {
		t.Fatalf("checks through a plugin with the wrong checksum and one that crashes: exit %d, want 3 naming both:\n%s", code, out)
	}
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "blue" {
		t.Fatalf("the live slot must keep serving: %q %v", slot, err)
	}
	out, _, code = s.run("plugins")
	if code != 1 || !strings.Contains(out, "zmi") || !strings.Contains(out, "FAILED") {
		t.Fatalf("plugins with a broken one: exit %d\n%s", code, out)
	}
	s.must("status") // the daemon is still there
}
