package checks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// checkCommand runs argv in t.Dir with t.Env and passes on exit status 0.
// The command gets its own process group so that a timeout kills everything
// it started (a shell script's curl, a backgrounded helper), not just the
// shell; whatever is still left in the group when it exits is killed too, so
// a check never leaves processes behind in the controller.
func checkCommand(ctx context.Context, argv []string, t Target) outcome {
	path, err := lookPath(argv[0], t.Env)
	if err != nil {
		return outcome{msg: err.Error()}
	}
	cmd := exec.CommandContext(ctx, path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Dir, cmd.Env = t.Dir, t.Env
	out := &tail{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	// A grandchild outside the group could hold the output pipe open forever;
	// WaitDelay stops waiting for it.
	cmd.WaitDelay = commandWaitDelay

	err = cmd.Run()
	if cmd.Process != nil {
		_ = killGroup(cmd.Process.Pid)
	}
	lines := out.lastLines(outputLines)
	if cmd.ProcessState != nil && cmd.ProcessState.Success() {
		return outcome{ok: true, msg: "ok: exit status 0"}
	}
	msg := err.Error() // the command could not start: not found, bad dir
	if cmd.ProcessState != nil {
		msg = cmd.ProcessState.String() // "exit status 3", "signal: killed"
	}
	if lines != "" {
		msg += ": " + lines
	}
	return outcome{msg: msg, output: lines}
}

// killGroup kills the process group pgid; a group that is already gone is
// os.ErrProcessDone, which exec.Cmd.Cancel understands as "nothing to do".
func killGroup(pgid int) error {
	err := syscall.Kill(-pgid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// lookPath finds a bare command name in the PATH of the command's own
// environment, as a shell started with that environment would, rather than
// in the controller's PATH that exec.Command would search. Names with a
// slash are left alone (a relative one is relative to the working
// directory), and so is everything when env has no PATH.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	pathList, ok := "", false
	for _, kv := range env {
		if v, found := strings.CutPrefix(kv, "PATH="); found {
			pathList, ok = v, true // the last one wins, as in exec
		}
	}
	if !ok {
		return name, nil
	}
	for _, dir := range filepath.SplitList(pathList) {
		if !filepath.IsAbs(dir) {
			continue // like exec.ErrDot: never run something found relative to a guess
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found in the check's PATH (%s)", name, pathList)
}

// tail keeps the last maxOutput bytes written to it: the end of a failing
// command's output is where the reason is, and a chatty command must not
// grow the controller's memory.
type tail struct {
	mu  sync.Mutex
	buf []byte
	cut bool // bytes were dropped from the front
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= maxOutput {
		t.buf = append(t.buf[:0], p[len(p)-maxOutput:]...)
		t.cut = true
		return n, nil
	}
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - maxOutput; over > 0 {
		t.buf = t.buf[:copy(t.buf, t.buf[over:])]
		t.cut = true
	}
	return n, nil
}

// lastLines returns the last n non-empty lines, joined with " | " so that a
// failure stays one line in a summary or a log. A line cut in half by the
// size limit is dropped, and long lines are shortened.
func (t *tail) lastLines(n int) string {
	t.mu.Lock()
	s := strings.ToValidUTF8(string(t.buf), "?")
	cut := t.cut
	t.mu.Unlock()
	if cut {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(line) > maxLineLen {
			line = strings.ToValidUTF8(line[:maxLineLen], "") + "..."
		}
		keep = append(keep, line)
	}
	return strings.Join(keep[max(0, len(keep)-n):], " | ")
}
