package checks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"deploy/config"
)

func commandCheck(argv ...string) config.Check {
	return config.Check{Name: "selftest", Command: argv, Timeout: 10 * time.Second}
}

func TestCommand_ExitStatusZeroPasses(t *testing.T) {
	t.Parallel()
	script := testScript(t, "ok.sh", "echo fine")
	r := Run(context.Background(), commandCheck(script), Target{Label: "instance 1", Via: "direct"})
	wantOK(t, r)
	if r.Kind != "command" || r.Message != "ok: exit status 0" {
		t.Errorf("got %+v", r)
	}
}

func TestCommand_AFailureQuotesTheExitStatusAndLastOutputLines(t *testing.T) {
	t.Parallel()
	script := testScript(t, "fail.sh", `
for i in 1 2 3 4; do echo "line $i"; done
echo
echo "  "
echo "line 5 on stderr" >&2
echo "line 6"
echo "line 7"
exit 3`)
	r := Run(context.Background(), commandCheck(script), Target{Label: "instance 1"})
	wantFailure(t, r, "exit status 3: line 3 | line 4 | line 5 on stderr | line 6 | line 7")
}

func TestCommand_RunsInTheTargetDirWithTheTargetEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	body := `[ "$GREETING" = hello ] || { echo "GREETING=$GREETING"; exit 1; }
[ -f marker ] || { echo "no marker in $(pwd)"; exit 1; }`
	if err := os.WriteFile(filepath.Join(dir, "check.sh"), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "marker"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tgt := Target{Label: "instance 1", Dir: dir, Env: []string{"GREETING=hello", "PATH=/usr/bin:/bin"}}
	wantOK(t, Run(context.Background(), commandCheck("./check.sh"), tgt))

	// A bare name is looked up in the target's PATH, not the controller's.
	tgt.Env = []string{"GREETING=hello", "PATH=/nonexistent:" + dir + ":/usr/bin:/bin"}
	wantOK(t, Run(context.Background(), commandCheck("check.sh"), tgt))

	tgt.Env = []string{"GREETING=bonjour", "PATH=/usr/bin:/bin"}
	wantFailure(t, Run(context.Background(), commandCheck("./check.sh"), tgt), "exit status 1: GREETING=bonjour")

	tgt.Dir = t.TempDir()
	wantFailure(t, Run(context.Background(), commandCheck("/bin/sh", filepath.Join(dir, "check.sh")), Target{Dir: tgt.Dir, Env: []string{"GREETING=hello"}}),
		"exit status 1: no marker in "+tgt.Dir)
}

func TestCommand_ACommandThatCannotStartFails(t *testing.T) {
	t.Parallel()
	r := Run(context.Background(), commandCheck("no-such-command"), Target{Env: []string{"PATH=/usr/bin:/bin"}})
	wantFailure(t, r, "no-such-command: not found in the check's PATH (/usr/bin:/bin)")
}

func TestCommand_ATimeoutKillsTheWholeProcessGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "sleep.pid")
	script := testScript(t, "hang.sh", `sleep 60 &
echo $! > "$1"
echo started
wait`)
	c := commandCheck(script, pidFile)
	c.Timeout = 500 * time.Millisecond
	r := Run(context.Background(), c, Target{Label: "instance 1"})
	wantFailure(t, r, "timed out after 500ms: started")

	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the script did not record its child: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// A killed process may stay a zombie until its new parent reaps it; that
	// counts as gone. The deadline is only there so a failure does not hang.
	deadline := time.Now().Add(10 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("grandchild %d outlived the timed-out check", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCommand_ProcessesLeftBehindAreKilled(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "sleep.pid")
	script := testScript(t, "leave.sh", `sleep 60 >/dev/null 2>&1 &
echo $! > "$1"`)
	wantOK(t, Run(context.Background(), commandCheck(script, pidFile), Target{}))
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(10 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("background process %d outlived the check", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// gone reports whether pid no longer runs: it does not exist or is a zombie.
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// The state follows the command name in parentheses: "123 (sleep) Z ...".
	i := strings.LastIndexByte(string(stat), ')')
	return i >= 0 && strings.HasPrefix(string(stat[i+1:]), " Z")
}

func TestTail_KeepsTheEndAndDropsACutLine(t *testing.T) {
	t.Parallel()
	var tl tail
	for i := range 1000 {
		tl.Write([]byte("output line " + strconv.Itoa(i) + "\n"))
	}
	if len(tl.buf) > maxOutput {
		t.Errorf("kept %d bytes, want at most %d", len(tl.buf), maxOutput)
	}
	if got, want := tl.lastLines(2), "output line 998 | output line 999"; got != want {
		t.Errorf("lastLines = %q, want %q", got, want)
	}
	tl.Write([]byte(strings.Repeat("x", 3*maxOutput)))
	if len(tl.buf) != maxOutput || tl.lastLines(5) != strings.Repeat("x", maxLineLen)+"..." {
		t.Errorf("after one big write: %d bytes, lastLines %q", len(tl.buf), tl.lastLines(5))
	}
}
