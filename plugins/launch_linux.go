package plugins

import (
	"os/exec"
	"syscall"
)

// dieWithHost has the kernel kill a plugin when the daemon dies, however it
// dies: a plugin has no reason to outlive its host, and an orphan would hold
// its socket and memory until someone noticed.
func dieWithHost(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// The signal follows the thread that started the plugin, not the process;
// Go only ends a thread when a goroutine locked to it returns, which the
// goroutines that launch plugins never are.
