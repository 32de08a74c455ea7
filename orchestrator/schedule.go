package orchestrator

import (
	"context"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"deploy/config"
)

// scheduleActor is who history says ran a scheduled operation.
const scheduleActor = "schedule"

// restartSchedules runs the services' scheduled restarts, as the cron around
// Zope used to, on robfig/cron's runner in the controller's local time.
type restartSchedules struct {
	cron *cron.Cron

	mu      sync.Mutex
	entries map[string]scheduledRestart // by service
}

type scheduledRestart struct {
	spec string
	id   cron.EntryID
}

func newRestartSchedules() *restartSchedules {
	return &restartSchedules{cron: cron.New(), entries: map[string]scheduledRestart{}}
}

// scheduleRestarts makes the schedules match the configuration in force:
// new ones start, changed ones start again, removed ones end. The runner
// starts with the first call, once the services are restored.
func (c *Controller) scheduleRestarts() {
	rs := c.schedules
	rs.mu.Lock()
	defer rs.mu.Unlock()
	want := map[string]string{}
	for _, sc := range c.conf().Services {
		if sc.Restart != nil {
			want[sc.Name] = sc.Restart.Schedule
		}
	}
	for name, e := range rs.entries {
		if want[name] != e.spec {
			rs.cron.Remove(e.id)
			delete(rs.entries, name)
		}
	}
	for name, spec := range want {
		if _, ok := rs.entries[name]; ok {
			continue
		}
		// The configuration was checked with the same parser.
		sched, err := config.ParseSchedule(spec)
		if err != nil {
			c.log.Error("restart schedule", "service", name, "schedule", spec, "err", err)
			continue
		}
		id := rs.cron.Schedule(sched, cron.FuncJob(func() { c.scheduledRestart(name, spec) }))
		rs.entries[name] = scheduledRestart{spec: spec, id: id}
	}
	rs.cron.Start()
}

// scheduledRestart runs one scheduled restart; how it went is in the
// history, like any restart.
func (c *Controller) scheduledRestart(service, spec string) {
	_, err := c.Restart(context.Background(), RestartRequest{Service: service, Reason: "scheduled: " + spec, Actor: scheduleActor})
	if err != nil {
		c.log.Error("scheduled restart failed", "service", service, "schedule", spec, "err", err)
	}
}

// nextRestart is when the service's next scheduled restart is due; zero
// without a schedule.
func (c *Controller) nextRestart(service string) time.Time {
	rs := c.schedules
	rs.mu.Lock()
	e, ok := rs.entries[service]
	rs.mu.Unlock()
	if !ok {
		return time.Time{}
	}
	return rs.cron.Entry(e.id).Next
}

// stopSchedules ends the runner; a restart that runs is not waited for,
// since shutdown holds no service's lock.
func (c *Controller) stopSchedules() { c.schedules.cron.Stop() }
