package orchestrator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"deploy/config"
	"deploy/stacks"
	"deploy/state"
)

// releaseThroughMaintenance walks the maintenance path, for a release that
// cannot run beside the old code on one database: maintenance on → stop the
// old slots → migrate → up → checks → switch → maintenance off. Any failure
// leaves maintenance on and says where it stopped and how to go on or back.
func (c *Controller) releaseThroughMaintenance(ctx context.Context, s *service, idle config.Slot, req ReleaseRequest, res *ReleaseResult) error {
	step := stepper(ctx)
	name := s.conf().Name
	before := c.view().Service(name)
	oldRelease := ""
	if rec := before.Slots[before.Live]; rec != nil {
		oldRelease = rec.Release
	}
	stopped := func(at string, err error) error {
		step(at, StepFailed, "%v", err)
		e := asError(err)
		return &Error{Kind: e.Kind, Checks: e.Checks,
			Message: fmt.Sprintf("release %s stopped at step %q: %s; maintenance is still on, visitors see the maintenance page", req.Release, at, e.Message),
			Hint:    maintenanceHint(name, at, req.Release, before.Live, oldRelease, idle.Name)}
	}
	if s.conf().Migrate == nil {
		return errorf(KindRefused, "add a migrate { command = [...] } block to the service",
			"release %s needs a data migration, and %s has no migrate command", req.Release, name)
	}

	// Each step that changes what runs or what visitors get is recorded on
	// its own, so the history shows how far a failed walk came.
	record := func(op, slot string, started time.Time, err error) {
		c.record(state.Entry{Actor: req.Actor, Op: op, Service: name, Slot: slot, Release: req.Release, Reason: releaseReason(req)}, started, err)
	}

	step(stepMaintenanceOn, StepRunning, "visitors get the maintenance page")
	t0 := time.Now()
	_, err := c.setMaintenance(s, true, req.Message, req.Actor)
	record("maintenance on", "", t0, err)
	if err != nil {
		return stopped(stepMaintenanceOn, err)
	}
	step(stepMaintenanceOn, StepOK, "")

	step(stepStopOld, StepRunning, "stopping every running slot of %s", name)
	for _, sl := range s.conf().Slots {
		if run := s.run(sl.Name); run != nil {
			t0 := time.Now()
			_, err := c.stopSlot(ctx, s, run)
			record("down", sl.Name, t0, err)
			if err != nil {
				return stopped(stepStopOld, err)
			}
		}
	}
	step(stepStopOld, StepOK, "")

	step(stepUp, StepRunning, "unpacking %s into slot %s, migrating, starting", req.Release, idle.Name)
	migrated := false
	_, err = c.up(ctx, s, idle, req.Release, func(st stackPlace) error {
		step(stepMigrate, StepRunning, "%s", strings.Join(s.conf().Migrate.Command, " "))
		t0 := time.Now()
		err := c.migrate(ctx, s, idle, st)
		record("migrate", idle.Name, t0, err)
		if err != nil {
			return err
		}
		migrated = true
		step(stepMigrate, StepOK, "")
		return nil
	})
	if err != nil {
		if !migrated {
			return stopped(stepMigrate, err)
		}
		return stopped(stepUp, err)
	}
	res.Migrated = true
	step(stepUp, StepOK, "slot %s is ready", idle.Name)

	if err := c.gate(ctx, s, s.run(idle.Name), res); err != nil {
		return stopped(stepChecks, err)
	}
	done, err := c.releaseSwitch(ctx, s, idle.Name, req, res)
	if err != nil {
		return stopped(stepSwitch, err)
	}
	done()

	step(stepMaintenanceOff, StepRunning, "")
	t0 = time.Now()
	_, err = c.setMaintenance(s, false, "", req.Actor)
	record("maintenance off", "", t0, err)
	if err != nil {
		return stopped(stepMaintenanceOff, err)
	}
	step(stepMaintenanceOff, StepOK, "visitors reach %s on %s", req.Release, idle.Name)
	return nil
}

// maintenanceHint says how to go on, or back, from where the maintenance
// path stopped.
func maintenanceHint(service, at, rel, oldSlot, oldRelease, newSlot string) string {
	back := ""
	if oldSlot != "" && oldRelease != "" {
		release := " --release " + oldRelease
		if oldRelease == workdirRelease {
			release = ""
		}
		back = fmt.Sprintf("; to go back to the old code: deploy up %s --slot %s%s, then deploy maintenance off %s", service, oldSlot, release, service)
	}
	switch at {
	case stepMaintenanceOn, stepStopOld, stepMigrate:
		return fmt.Sprintf("the data was not migrated; to go on: fix the cause and run deploy release %s --release %s --maintenance again%s", service, rel, back)
	case stepMaintenanceOff:
		return fmt.Sprintf("%s is live on %s; deploy maintenance off %s lets visitors in", rel, newSlot, service)
	default:
		return fmt.Sprintf("the data WAS migrated for %s; to go on: fix the cause, then deploy up %s --slot %s --release %s, deploy switch %s --to %s and deploy maintenance off %s (the migration runs again only through deploy release --maintenance)",
			rel, service, newSlot, rel, service, newSlot, service)
	}
}

// migrate runs the service's migrate command in the new release's stack,
// with the slot's variables, logging to the slot's log directory.
func (c *Controller) migrate(ctx context.Context, s *service, slot config.Slot, st stackPlace) error {
	m := s.conf().Migrate
	logPath := filepath.Join(c.slotDir(s.conf().Name, slot.Name), "log", "migrate-"+st.release+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o750); err != nil {
		return err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	defer logf.Close()
	mctx, cancel := context.WithTimeout(ctx, m.Timeout)
	defer cancel()
	cmd := groupCommand(mctx, m.Command, st.dir)
	cmd.Env = c.slotEnv(s, slot, st, m.Env)
	cmd.Stdout, cmd.Stderr = logf, logf
	started := time.Now()
	if err := cmd.Run(); err != nil {
		if mctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("timed out after %s", m.Timeout)
		}
		msg := fmt.Sprintf("migrate command %v failed: %v", m.Command, err)
		if lines, _ := stacks.TailLog(logPath, logLinesOnFailure); len(lines) > 0 {
			msg += "\nlast lines of " + logPath + ":\n  " + strings.Join(lines, "\n  ")
		}
		return errorf(KindFailed, "", "%s", msg)
	}
	c.log.Info("migrated", "service", s.conf().Name, "release", st.release, "took", time.Since(started))
	return nil
}

// refuseSideBySide refuses to start a release that needs a migration while
// another slot of the service runs: the two would share one database.
func (c *Controller) refuseSideBySide(s *service, slot, releaseID string) error {
	if releaseID == "" {
		return nil
	}
	m, _, err := c.releases.Get(releaseID)
	if err != nil || !m.NeedsMigration {
		return nil // a missing release is reported when it is unpacked
	}
	for _, sl := range s.conf().Slots {
		if sl.Name != slot && s.run(sl.Name) != nil {
			return errorf(KindRefused,
				fmt.Sprintf("deploy release %s --release %s --maintenance walks the maintenance path", s.conf().Name, releaseID),
				"release %s needs a data migration: it cannot run beside slot %s on one database", releaseID, sl.Name)
		}
	}
	return nil
}
