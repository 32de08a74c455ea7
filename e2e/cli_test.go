package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCLI_ExitCodesSayWhoseFaultItWas(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"up", "demo"}, 2, `required flag(s) "slot" not set`},
		{[]string{"up", "demo", "--slot", "blue", "--bogus"}, 2, "unknown flag"},
		{[]string{"up", "nosuch", "--slot", "blue"}, 2, `no service named "nosuch"`},
		{[]string{"up", "demo", "--slot", "purple"}, 2, `service demo has no slot "purple"`},
		{[]string{"switch", "demo", "--to", "green"}, 1, "slot green is not running"},
		{[]string{"history", "demo", "--limit", "-1"}, 2, "--limit must be"},
		{[]string{"status", "a", "b"}, 2, "accepts at most 1 arg"},
	} {
		_, errOut, code := s.run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("deploy %s: exit %d, stderr %q; want exit %d containing %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.want)
		}
	}
}

func TestCLI_EveryCommandHasHelp(t *testing.T) {
	t.Parallel()
	s := &site{t: t, config: "no-such-config.hcl"}
	for _, verb := range []string{"serve", "up", "down", "switch", "rollback", "status", "history", "validate"} {
		out, _, code := s.run(verb, "--help")
		if code != 0 || !strings.Contains(out, "Usage:") || !strings.Contains(out, "deploy "+verb) {
			t.Errorf("deploy %s --help: exit %d\n%s", verb, code, out)
		}
	}
}

func TestCLI_WithoutAControllerSaysHowToStartOne(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.stop(syscall.SIGTERM)
	_, errOut, code := s.run("status")
	if code != 1 || !strings.Contains(errOut, "no deploy controller is running") || !strings.Contains(errOut, "deploy serve") {
		t.Fatalf("status without controller: exit %d, %q", code, errOut)
	}
}

func TestCLI_SecondOperationOnABusyServiceIsRefusedAtOnce(t *testing.T) {
	t.Parallel()
	// The slow start gives the second command something to collide with.
	s := newSite(t, siteOptions{instances: 1, command: fmt.Sprintf(`["sh", "-c", "sleep 3; exec %s"]`, demoAppBin)})

	upDone := make(chan string)
	go func() {
		_, errOut, _ := s.run("up", "demo", "--slot", "blue")
		upDone <- errOut
	}()
	var errOut string
	var code int
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, errOut, code = s.run("switch", "demo", "--to", "blue")
		if strings.Contains(errOut, "busy") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != 1 || !strings.Contains(errOut, "busy: up blue of demo started by ") {
		t.Fatalf("switch during up: exit %d, %q", code, errOut)
	}
	if e := <-upDone; e != "" {
		t.Fatalf("the up that held the lock failed: %s", e)
	}
}

func TestValidate_PrintsEveryProblemWithFileLineAndColumn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.hcl")
	os.WriteFile(path, []byte(`service "demo" {
  hosts = ["demo.test"]
  drain_timeout = "soon"
  slot "blue" { base_port = 9100 }
  slot "green" { base_port = 9100 }
  stack { command = [] }
}
`), 0o644)
	s := &site{t: t, config: path}
	out, errOut, code := s.run("validate")
	if code != 2 {
		t.Fatalf("validate of a bad config: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"bad.hcl:3,", "bad.hcl:5,", "bad.hcl:6,", `drain_timeout = "soon"`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("validate output lacks %q:\n%s", want, errOut)
		}
	}
}

func TestServe_ControlSocketIsPrivate(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	fi, err := os.Stat(filepath.Join(s.dir, "state", "control.sock"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("control socket mode %v, want 0600", perm)
	}
}

func TestCLI_SocketFlagNeedsNoConfig(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	cmd := exec.Command(deployBin, "status", "--socket", filepath.Join(s.dir, "state", "control.sock"), "--config", "/nonexistent.hcl")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "demo: live -") {
		t.Fatalf("status --socket: %v\n%s", err, out)
	}
}
