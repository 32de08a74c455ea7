package main

import (
	"strings"
	"testing"
)

func TestLogrotate_MatchesTheGoldenFile(t *testing.T) {
	cfg := opsConfig(t, "ops.hcl")
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"logrotate-pid-file", []string{"--log-file", "/var/log/deploy/deploy.log", "--pid-file", "/run/deploy/deploy.pid"}},
		{"logrotate-systemd", []string{"--log-file", "/var/log/deploy/deploy.log"}},
		{"logrotate-access-log-only", []string{"--systemd-unit", "site-deploy.service"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, mustDeploy(t, append([]string{"logrotate", "--config", cfg}, tc.flags...)...))
		})
	}
}

func TestLogrotate_QuotesPathsForLogrotateAndTheShell(t *testing.T) {
	out := mustDeploy(t, "logrotate", "--config", opsConfig(t, "plain.hcl"),
		"--log-file", "/var/log/my deploy/deploy.log", "--pid-file", "/run/it's/deploy.pid")
	for _, want := range []string{
		"\n\"/var/log/my deploy/deploy.log\" {\n",
		`[ -s '/run/it'\''s/deploy.pid' ] && kill -USR2 "$(cat '/run/it'\''s/deploy.pid')"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the snippet lacks %s:\n%s", want, out)
		}
	}
}

func TestLogrotate_RefusesWhatItCannotWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		say  string
	}{
		{"nothing to rotate", []string{"--config", opsConfig(t, "plain.hcl")}, "nothing to rotate"},
		{"two ways to signal", []string{"--config", opsConfig(t, "ops.hcl"), "--pid-file", "/run/d.pid", "--systemd-unit", "d.service"}, "pid-file"},
		{"not a unit name", []string{"--config", opsConfig(t, "ops.hcl"), "--systemd-unit", "deploy; rm -rf /"}, "not a unit name"},
		{"a glob", []string{"--config", opsConfig(t, "ops.hcl"), "--log-file", "/var/log/*.log"}, "glob"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := deploy(t, append([]string{"logrotate"}, tc.args...)...)
			if code == 0 || out != "" || !strings.Contains(errOut, tc.say) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want a failure that says %q", code, out, errOut, tc.say)
			}
		})
	}
}
