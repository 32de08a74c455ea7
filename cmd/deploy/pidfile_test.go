package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"deploy/internal/testwait"
)

// child starts a process that lives until the test ends.
func child(t *testing.T, name string, args ...string) int {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

func writePID(t *testing.T, pid int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deploy.pid")
	if err := os.WriteFile(path, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPIDFile_RefusesOneThatNamesARunningController(t *testing.T) {
	// A process whose arguments hold "serve", as "deploy serve" does. The
	// shell must not replace itself with sleep (so the script is two
	// commands), and the check waits until the exec has happened: before it,
	// the child's arguments are still this test binary's.
	pid := child(t, "sh", "-c", "sleep 60; exit 0", "serve")
	testwait.For(t, "the child's exec", func() bool {
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		return strings.Contains(string(cmdline), "serve")
	})
	path := writePID(t, pid)
	_, err := claimPIDFile(path, 0)
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(pid)) || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("claim = %v, want a refusal naming process %d", err, pid)
	}
}

func TestPIDFile_ReplacesAStaleOne(t *testing.T) {
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Fatal(err)
	}
	for name, pid := range map[string]int{
		"dead process":                 done.Process.Pid,
		"live process, not controller": child(t, "sleep", "60"),
		"this process":                 os.Getpid(),
	} {
		t.Run(name, func(t *testing.T) {
			path := writePID(t, pid)
			pf, err := claimPIDFile(path, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := pf.write(); err != nil {
				t.Fatal(err)
			}
			if got, _ := readPID(path); got != os.Getpid() {
				t.Fatalf("pid file holds %d, want %d", got, os.Getpid())
			}
			pf.remove()
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatalf("pid file still there after remove: %v", err)
			}
		})
	}
}

func TestPIDFile_RemoveLeavesAnotherProcesssFileAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deploy.pid")
	pf, err := claimPIDFile(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	pf.remove() // never written: nothing to remove, no error
	os.WriteFile(path, []byte("1\n"), 0o644)
	pf.remove()
	if got, _ := readPID(path); got != 1 {
		t.Fatalf("remove deleted or changed a pid file naming another process: %d", got)
	}
}

func TestPIDFile_RefusesADirectoryThatDoesNotExist(t *testing.T) {
	_, err := claimPIDFile(filepath.Join(t.TempDir(), "no", "deploy.pid"), 0)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("claim = %v, want a missing directory", err)
	}
}

func TestPIDFile_NoneWithoutTheFlag(t *testing.T) {
	pf, err := claimPIDFile("", 0)
	if pf != nil || err != nil {
		t.Fatalf("claim(\"\") = %v, %v", pf, err)
	}
	if err := pf.write(); err != nil {
		t.Fatal(err)
	}
	pf.remove()
}
