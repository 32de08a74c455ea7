package stacks

import (
	"fmt"
	"syscall"
)

// Signal sends sig to the instance's current process group, for servers
// that act on a signal themselves (a ZEO server reopens its log on
// SIGUSR2). Between restarts there is nothing to signal, which is an error.
func (i *Instance) Signal(sig syscall.Signal) error {
	i.mu.Lock()
	p := i.cur
	i.mu.Unlock()
	if p.id.PID == 0 {
		return fmt.Errorf("signal %s: %s is not running", sig, i.spec.name())
	}
	return p.signal(sig)
}
