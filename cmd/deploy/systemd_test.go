package main

import (
	"bufio"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSystemdUnit_MatchesTheGoldenFile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"systemd-unit", []string{"--user", "deploy", "--group", "deploy", "--log-file", "/var/log/deploy/deploy.log", "--pid-file", "/run/deploy/deploy.pid"}},
		{"systemd-unit-plain", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"systemd-unit", "--config", opsConfig(t, "ops.hcl"), "--binary", "/usr/local/bin/deploy"}, tc.flags...)
			golden(t, tc.name, mustDeploy(t, args...))
		})
	}
}

// unitKeys parses a unit file into "Section.Key" → values, failing on
// anything systemd would not read as a section, a comment or a key=value.
func unitKeys(t *testing.T, unit string) map[string][]string {
	t.Helper()
	keys := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(unit))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case line == "", strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.TrimSpace(k) != k || k == "" {
				t.Fatalf("line %d is not a key=value in a section: %q", n, line)
			}
			keys[section+"."+k] = append(keys[section+"."+k], v)
		}
	}
	return keys
}

func TestSystemdUnit_RunsThisConfigurationTheWayOperationsNeed(t *testing.T) {
	cfg := opsConfig(t, "ops.hcl")
	unit := mustDeploy(t, "systemd-unit", "--config", cfg, "--binary", "/opt/deploy/bin/deploy", "--log-file", "relative.log")
	keys := unitKeys(t, unit)
	want := map[string]string{
		"Unit.After":                       "network-online.target",
		"Unit.Wants":                       "network-online.target",
		"Service.Type":                     "notify",
		"Service.NotifyAccess":             "all", // the successor of an upgrade says MAINPID=
		"Service.ExecReload":               "/bin/kill -HUP $MAINPID",
		"Service.WorkingDirectory":         filepath.Dir(cfg),
		"Service.Restart":                  "on-failure",
		"Service.KillMode":                 "process",
		"Service.NoNewPrivileges":          "yes",
		"Service.RestartPreventExitStatus": "2",
		"Install.WantedBy":                 "multi-user.target",
	}
	for k, v := range want {
		if got := keys[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for k, vs := range keys {
		if len(vs) > 1 {
			t.Errorf("%s is set %d times", k, len(vs))
		}
	}
	abs, _ := filepath.Abs("relative.log")
	if got, want := keys["Service.ExecStart"], "/opt/deploy/bin/deploy serve --config "+cfg+" --log-file "+abs; len(got) != 1 || got[0] != want {
		t.Errorf("ExecStart = %q, want %q", got, want)
	}
	stop, err := time.ParseDuration(keys["Service.TimeoutStopSec"][0])
	if err != nil || stop <= shutdownTimeout {
		t.Errorf("TimeoutStopSec = %q: it must leave the controller its %s shutdown timeout", keys["Service.TimeoutStopSec"], shutdownTimeout)
	}
	// Two slots of 20s and three of 1m may each wait for readiness at boot.
	if got := keys["Service.TimeoutStartSec"]; len(got) != 1 || got[0] != "310s" {
		t.Errorf("TimeoutStartSec = %q, want 310s (90s + 2×20s + 3×1m)", got)
	}
	for _, k := range []string{"Service.PrivateTmp", "Service.ProtectSystem", "Service.User", "Service.PIDFile"} {
		if _, ok := keys[k]; ok {
			t.Errorf("%s is set; see the comments in systemd.go's template", k)
		}
	}
	for _, why := range []string{"# KillMode=process: ", "# Type=notify: "} {
		if !strings.Contains(unit, why) {
			t.Errorf("the unit does not explain %q", why)
		}
	}
}

func TestSystemdUnit_QuotesWhatSystemdWouldReadOtherwise(t *testing.T) {
	for _, tc := range []struct {
		in      string
		program bool
		want    string
	}{
		{"/usr/bin/deploy", true, "/usr/bin/deploy"},
		{"/srv/my app/deploy", true, `"/srv/my app/deploy"`},
		{"/srv/50%/deploy$x", true, "/srv/50%%/deploy$x"},
		{"/etc/deploy/$HOME.hcl", false, "/etc/deploy/$$HOME.hcl"},
		{`/a "b"\c`, false, `"/a \"b\"\\c"`},
	} {
		if got := quoteExecArg(tc.in, tc.program); got != tc.want {
			t.Errorf("quoteExecArg(%q, %v) = %s, want %s", tc.in, tc.program, got, tc.want)
		}
	}
}

func TestSystemdUnit_RefusesAConfigurationThatDoesNotLoad(t *testing.T) {
	out, errOut, code := deploy(t, "systemd-unit", "--config", filepath.Join(t.TempDir(), "missing.hcl"))
	if code != exitUsage || out != "" || !strings.Contains(errOut, "missing.hcl") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2, no unit and the reason", code, out, errOut)
	}
}

func TestOpsCommands_HelpSaysWhatTheyDoAndHowToInstallTheOutput(t *testing.T) {
	for cmd, wants := range map[string][]string{
		"systemd-unit": {"deploy systemd-unit > /etc/systemd/system/deploy.service",
			"systemctl daemon-reload && systemctl enable --now deploy", "KillMode=process", "Type=notify", "--user", "--pid-file"},
		"logrotate": {"> /etc/logrotate.d/deploy", "SIGUSR2", "--kill-whom=main",
			"The instances' logs are not listed: the controller rotates them itself", "--pid-file", "--systemd-unit"},
		"completion": {"source <(deploy completion bash)", "/etc/bash_completion.d/deploy",
			"compdef _deploy deploy", "deploy completion fish | source", "service names", "--no-descriptions"},
	} {
		help := mustDeploy(t, cmd, "--help")
		for _, w := range wants {
			if !strings.Contains(help, w) {
				t.Errorf("deploy %s --help does not say %q:\n%s", cmd, w, help)
			}
		}
	}
	top := mustDeploy(t, "--help")
	for _, cmd := range []string{"systemd-unit", "logrotate", "completion"} {
		if !strings.Contains(top, "\n  "+cmd+" ") {
			t.Errorf("deploy --help does not list %s:\n%s", cmd, top)
		}
	}
	if help := mustDeploy(t, "serve", "--help"); !strings.Contains(help, "--pid-file") {
		t.Errorf("deploy serve --help has no --pid-file:\n%s", help)
	}
}
