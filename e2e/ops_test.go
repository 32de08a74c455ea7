package e2e

import (
	"bytes"
	"deploy/internal/notifytest"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// How deploy fits in with systemd, logrotate and the shells: the real
// binary, the real tools.

// opsConfig writes a configuration for the commands that only read it
// (systemd-unit, logrotate, completion) and returns its path.
func opsConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deploy.hcl")
	cfg := fmt.Sprintf(`
controller {
  state_dir = "state"
}
proxy {
  listen = ["127.0.0.1:%d"]
}
service "demo" {
  hosts     = ["demo.test"]
  instances = 1
  slot "blue"  { base_port = %d }
  slot "green" { base_port = %d }
  stack {
    command = [%q]
    ready {
      path    = "/healthz"
      timeout = "20s"
    }
  }
}
`, freePorts(t, 1), freePorts(t, 1), freePorts(t, 1), demoAppBin)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitFor polls until ok, or fails the test saying what did not happen.
func (s *site) waitFor(what string, ok func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s did not happen; controller log:\n%s", what, s.serveLog)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServe_NotifySocketGetsReadyWhenServingReloadingAtSIGHUPAndStoppingAtSIGTERM(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.liveOn("blue")
	s.stop(syscall.SIGTERM)

	conn, path := notifytest.Listen(t)
	s.startEnv([]string{"NOTIFY_SOCKET=" + path})
	if got := notifytest.Receive(t, conn, 30*time.Second); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1\n%s", got, s.serveLog)
	}
	// READY=1 means serving: the proxy routes to the live slot already,
	// with no retry, and the control socket answers.
	if slot, err := s.get(&http.Client{Timeout: 5 * time.Second}, "/"); err != nil || slot != "blue" {
		t.Fatalf("right after READY=1 the proxy answered %q, %v; want the live slot blue", slot, err)
	}
	s.must("status")

	// systemctl reload: RELOADING=1 with its timestamp, then READY=1 once
	// the reload is done.
	s.serve.Process.Signal(syscall.SIGHUP)
	if got := notifytest.Receive(t, conn, 5*time.Second); !strings.HasPrefix(got, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Fatalf("notification at SIGHUP %q, want RELOADING=1 and MONOTONIC_USEC", got)
	}
	if got := notifytest.Receive(t, conn, 30*time.Second); got != "READY=1" {
		t.Fatalf("notification after the reload %q, want READY=1", got)
	}

	s.stop(syscall.SIGTERM)
	if got := notifytest.Receive(t, conn, 5*time.Second); got != "STOPPING=1" {
		t.Fatalf("notification at SIGTERM %q, want STOPPING=1", got)
	}
}

func TestOps_PIDFileIsWrittenWhenReadyRefusedWhileLiveAndRemovedAtStop(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1})
	s.stop(syscall.SIGTERM)
	pidFile := filepath.Join(t.TempDir(), "deploy.pid")
	s.start("--pid-file", pidFile)
	want := strconv.Itoa(s.serve.Process.Pid) + "\n"
	s.waitFor("pid file "+pidFile+" written", func() bool {
		b, _ := os.ReadFile(pidFile)
		return string(b) == want
	})

	second := exec.Command(deployBin, "serve", "--config", s.config, "--pid-file", pidFile)
	out, err := second.CombinedOutput()
	if code := second.ProcessState.ExitCode(); err == nil || code != 1 ||
		!strings.Contains(string(out), "still running") || !strings.Contains(string(out), strings.TrimSpace(want)) {
		t.Fatalf("a second controller with the same pid file: exit %d, %s; want exit 1 naming process %s", code, out, want)
	}
	if b, _ := os.ReadFile(pidFile); string(b) != want {
		t.Fatalf("the refused controller changed the pid file: %q", b)
	}

	s.stop(syscall.SIGTERM)
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Fatalf("pid file left after a clean stop: %v", err)
	}
}

func TestLogrotate_RotatesTheLogsAndTheControllerWritesToFreshOnes(t *testing.T) {
	t.Parallel()
	logrotate, err := exec.LookPath("logrotate")
	if err != nil {
		t.Fatal("logrotate is not installed (apt-get install logrotate; .ci/run does)")
	}
	logs := t.TempDir()
	logPath, pidPath := filepath.Join(logs, "deploy.log"), filepath.Join(logs, "deploy.pid")
	accessPath := filepath.Join(logs, "access.log")
	s := newSite(t, siteOptions{instances: 1, proxy: fmt.Sprintf("access_log {\n    path = %q\n  }", accessPath)})
	s.stop(syscall.SIGTERM)
	s.start("--log-file", logPath, "--pid-file", pidPath)
	s.waitFor("pid file written", func() bool { _, err := os.Stat(pidPath); return err == nil })
	s.liveOn("blue")
	client := &http.Client{Timeout: 5 * time.Second}
	for range 3 {
		if _, err := s.get(client, "/"); err != nil {
			t.Fatal(err)
		}
	}
	accessBefore, _ := os.ReadFile(accessPath)

	snippet := s.must("logrotate", "--pid-file", pidPath, "--log-file", logPath)
	if !strings.Contains(snippet, logPath+" "+accessPath+" {") {
		t.Fatalf("the snippet does not rotate both %s and the access log %s:\n%s", logPath, accessPath, snippet)
	}
	conf, state := filepath.Join(logs, "logrotate.conf"), filepath.Join(logs, "logrotate.state")
	if err := os.WriteFile(conf, []byte(snippet), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(logrotate, "-v", "-f", "-s", state, conf).CombinedOutput(); err != nil {
		t.Fatalf("logrotate: %v\n%s", err, out)
	}

	if b, _ := os.ReadFile(logPath + ".1"); !strings.Contains(string(b), "controller ready") {
		t.Fatalf("%s.1 does not hold what was logged before the rotation: %q", logPath, b)
	}
	// logrotate created the fresh file; the controller must write there now.
	s.must("up", "demo", "--slot", "green")
	to := "green"
	s.waitFor("a log line in the fresh "+logPath, func() bool {
		s.must("switch", "demo", "--to", to)
		to = map[string]string{"green": "blue", "blue": "green"}[to]
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "msg=switch")
	})
	if fi, err := os.Stat(logPath); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("fresh log file: %v, mode %v; want 0640", err, fi.Mode().Perm())
	}

	t.Run("access log is rotated and reopened", func(t *testing.T) {
		if len(accessBefore) == 0 {
			// Enables itself once the proxy writes an access log.
			t.Skip("the proxy wrote no access log line before the rotation (access_log is not served yet)")
		}
		if b, _ := os.ReadFile(accessPath + ".1"); len(b) == 0 {
			t.Fatalf("%s.1 is empty or missing after the rotation", accessPath)
		}
		s.waitFor("a request logged in the fresh "+accessPath, func() bool {
			s.get(client, "/")
			b, _ := os.ReadFile(accessPath)
			return len(b) > 0
		})
	})
	s.stop(syscall.SIGTERM)
}

func TestOps_SystemdUnitPassesSystemdAnalyzeVerify(t *testing.T) {
	t.Parallel()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt-get install systemd; .ci/run does); the golden file and parse check in cmd/deploy cover the unit")
	}
	cfg := opsConfig(t)
	dir := filepath.Dir(cfg)
	cmd := exec.Command(deployBin, "systemd-unit", "--config", cfg, "--user", "root",
		"--log-file", filepath.Join(dir, "deploy.log"), "--pid-file", "/run/deploy/deploy.pid")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	unit, err := cmd.Output()
	if err != nil {
		t.Fatalf("deploy systemd-unit: %v\n%s", err, stderr.String())
	}
	// Without --binary the unit runs the binary that printed it.
	if want := "\nExecStart=" + deployBin + " serve --config " + cfg + " "; !strings.Contains(string(unit), want) {
		t.Fatalf("the unit does not run %s on %s:\n%s", deployBin, cfg, unit)
	}
	path := filepath.Join(dir, "deploy.service")
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s\nunit:\n%s", err, out, unit)
	}
}

func TestCompletion_TheShellsCompleteFromTheConfiguration(t *testing.T) {
	t.Parallel()
	cfg := opsConfig(t)
	env := append(os.Environ(), "PATH="+filepath.Dir(deployBin)+":"+os.Getenv("PATH"), "DEPLOY_CONFIG="+cfg)
	bash := func(script string) string {
		t.Helper()
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash -c %q: %v\n%s", script, err, out)
		}
		return string(out)
	}

	if out := bash("source <(deploy completion bash) && complete -p deploy"); !strings.Contains(out, "-F __start_deploy deploy") {
		t.Fatalf("the bash script registers no completion for deploy: %q", out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"switch", ""}, "demo\n"},
		{[]string{"switch", "demo", "--to", ""}, "blue\ngreen\n"},
	} {
		cmd := exec.Command(deployBin, append([]string{"__complete", "--config", cfg}, tc.args...)...)
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), tc.want+":4\n") {
			t.Errorf("deploy __complete %s: %v\n%s\nwant %q and no file names (:4)", strings.Join(tc.args, " "), err, out, tc.want)
		}
	}

	t.Run("bash completes a service and its slots", func(t *testing.T) {
		const bashCompletion = "/usr/share/bash-completion/bash_completion"
		if _, err := os.Stat(bashCompletion); err != nil {
			t.Skip("the bash-completion package is not installed; the script needs it")
		}
		// As bash calls the function on TAB, with compopt stubbed out as it
		// works only inside a real completion.
		out := bash(`source ` + bashCompletion + ` && source <(deploy completion bash) && compopt() { :; }
COMP_WORDS=(deploy switch ""); COMP_CWORD=2; COMP_LINE="deploy switch "; COMP_POINT=${#COMP_LINE}
__start_deploy deploy "" switch; echo "services: ${COMPREPLY[*]}"
COMP_WORDS=(deploy switch demo --to ""); COMP_CWORD=4; COMP_LINE="deploy switch demo --to "; COMP_POINT=${#COMP_LINE}
__start_deploy deploy "" --to; echo "slots: ${COMPREPLY[*]}"`)
		for _, want := range []string{"services: --to demo\n", "slots: blue green\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("bash completed %q, want %q", out, want)
			}
		}
	})
}
