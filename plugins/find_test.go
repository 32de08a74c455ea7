package plugins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind_FollowsTheNamingRule(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "deploy-plugin-driver-exec")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "deploy-plugin-check-plain"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "deploy-plugin-notifier-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Find(dir, KindDriver, "exec")
	if err != nil || got != exe {
		t.Fatalf("Find = %q, %v; want %q", got, err, exe)
	}
	t.Chdir(dir)
	if got, err := Find(".", KindDriver, "exec"); err != nil || got != exe {
		t.Errorf("relative dir: %q, %v; want the absolute %q", got, err, exe)
	}
	for _, tc := range []struct{ kind, name, want string }{
		{KindCheck, "exec", "there is no deploy-plugin-check-exec in"},
		{KindCheck, "plain", "is not executable; chmod +x it"},
		{KindNotifier, "dir", "is not a regular file"},
		{"stack", "exec", `kind "stack" is not one of driver, check, notifier`},
		{KindDriver, "../exec", "without slashes"},
		{KindDriver, "", "without slashes"},
	} {
		_, err := Find(dir, tc.kind, tc.name)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Find(%q, %q): %v, want %q", tc.kind, tc.name, err, tc.want)
		}
	}
	if _, err := Find("", KindDriver, "exec"); err == nil || !strings.Contains(err.Error(), "no plugin directory") {
		t.Errorf("no dir: %v", err)
	}
}
