package orchestrator

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// groupCommand prepares a command the controller runs on its own behalf
// (a migration, a notifier) in its own process group, so that the end of ctx
// kills everything it started, not only its first process.
func groupCommand(ctx context.Context, argv []string, dir string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	return cmd
}
