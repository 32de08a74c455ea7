package orchestrator

import (
	"context"
	"os"
	"time"

	"deploy/state"
)

// UpgradeRequest asks the controller to hand its listeners to a new process
// of its binary, which takes over without a request failing.
type UpgradeRequest struct {
	Actor string `json:"-"`
}

func (r *UpgradeRequest) setCaller(_, actor string) { r.Actor = actor }

// UpgradeResult says which process handed over.
type UpgradeResult struct {
	OldPID int `json:"old_pid"`
}

// SetUpgrade gives the controller the way to start its successor (see
// cmd/deploy): start returns once the successor serves, or with why it
// could not.
func (c *Controller) SetUpgrade(start func() error) { c.startSuccessor.Store(&start) }

// Upgrade starts a successor and hands over to it. Every service's busy
// lock is held from the start: the successor routes by the state as it is
// then, and nothing may change it until this process has gone. When the
// successor cannot start, the locks are let go and nothing changed.
func (c *Controller) Upgrade(_ context.Context, req UpgradeRequest) (res *UpgradeResult, err error) {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	started := time.Now()
	defer func() { c.record(state.Entry{Actor: req.Actor, Op: "upgrade"}, started, err) }()
	start := c.startSuccessor.Load()
	if start == nil {
		return nil, errorf(KindRefused, "run deploy serve (this controller was built into another program)", "this controller cannot start a successor")
	}
	release, err := c.holdAll(c.serviceMap(), "upgrade", "nothing was upgraded", req.Actor)
	if err != nil {
		return nil, err
	}
	if err := (*start)(); err != nil {
		release()
		return nil, errorf(KindFailed, "this controller goes on serving; see its log and the new binary's", "upgrade: %v", err)
	}
	// The locks stay held: this process ends as soon as it has finished the
	// requests it was serving.
	c.log.Info("successor serves; finishing in-flight requests", "pid", os.Getpid())
	return &UpgradeResult{OldPID: os.Getpid()}, nil
}

// ControllerInfo says which process answers on the control socket.
type ControllerInfo struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// processStarted is when this controller process started.
var processStarted = time.Now()

// Info says which process the controller is.
func (c *Controller) Info() ControllerInfo {
	return ControllerInfo{PID: os.Getpid(), Started: processStarted}
}
