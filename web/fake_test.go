package web

import (
	"context"
	"sync"

	"deploy/orchestrator"
	"deploy/state"
)

// fakeController stands in for *orchestrator.Controller in the handler's
// own tests: it answers a fixed status and history and records the
// operations asked of it. The real controller is driven by e2e/web_test.go.
type fakeController struct {
	mu        sync.Mutex
	services  []orchestrator.ServiceStatus
	history   map[string][]state.Entry
	err       error // the answer of Switch and Rollback
	switches  []orchestrator.SwitchRequest
	rollbacks []orchestrator.RollbackRequest
}

var _ Controller = (*orchestrator.Controller)(nil)

func (f *fakeController) Status(service string) ([]orchestrator.ServiceStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.services, nil
}

func (f *fakeController) History(service string, limit int) ([]state.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.history[service]
	if len(h) > limit {
		h = h[len(h)-limit:]
	}
	return h, nil
}

func (f *fakeController) Switch(_ context.Context, req orchestrator.SwitchRequest) (*orchestrator.SwitchResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.switches = append(f.switches, req)
	if f.err != nil {
		return nil, f.err
	}
	return &orchestrator.SwitchResult{Service: req.Service, From: "blue", To: req.To, Checks: "2 passed"}, nil
}

func (f *fakeController) Rollback(_ context.Context, req orchestrator.RollbackRequest) (*orchestrator.SwitchResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rollbacks = append(f.rollbacks, req)
	if f.err != nil {
		return nil, f.err
	}
	return &orchestrator.SwitchResult{Service: req.Service, From: "green", To: "blue"}, nil
}

// operations counts the switches and rollbacks asked so far.
func (f *fakeController) operations() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.switches) + len(f.rollbacks)
}

// demoStatus is service "demo" with green live, blue previous and running,
// two instances each.
func demoStatus() orchestrator.ServiceStatus {
	slot := func(name string, live bool, port int) orchestrator.SlotStatus {
		return orchestrator.SlotStatus{Slot: name, Status: state.SlotRunning, Live: live, Release: "r-" + name,
			Ports: []int{port, port + 1}, Healthy: true, Instances: []orchestrator.InstanceStatus{
				{Index: 0, Port: port, PID: port * 10, Running: true, Healthy: true},
				{Index: 1, Port: port + 1, PID: port*10 + 1, Running: true, Healthy: true, Restarts: 2},
			}}
	}
	return orchestrator.ServiceStatus{Service: "demo", Hosts: []string{"demo.test"}, Live: "green", Previous: "blue",
		Slots: []orchestrator.SlotStatus{slot("blue", false, 8100), slot("green", true, 8200),
			{Slot: "red", Status: state.SlotStopped, Ports: []int{8300, 8301}}}}
}
