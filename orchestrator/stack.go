package orchestrator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/google/renameio/v2"

	"deploy/config"
	"deploy/stacks"
	"deploy/state"
)

// workdirRelease names what a slot runs when it runs the configured stack
// directory as it is, rather than an immutable release.
const workdirRelease = "workdir"

// stackPlace is where a slot's stack lives and which release it is.
type stackPlace struct {
	dir     string
	release string
}

// placeOf finds the stack of a slot recorded in the state.
func (c *Controller) placeOf(sc *config.Service, slot string, rec *state.Slot) stackPlace {
	if rec.Release == "" || rec.Release == workdirRelease {
		return stackPlace{dir: sc.Stack.Dir, release: workdirRelease}
	}
	return stackPlace{dir: c.releaseStackDir(sc.Name, slot, rec.Release), release: rec.Release}
}

// instanceSpec is how instance n (1-based) of a slot runs.
func (c *Controller) instanceSpec(sc *config.Service, slot config.Slot, n int, st stackPlace) stacks.InstanceSpec {
	base := c.slotDir(sc.Name, slot.Name)
	idx := strconv.Itoa(n)
	// The driver sets Command (see driverOf); the stack's is the default.
	spec := stacks.InstanceSpec{
		Service: sc.Name,
		Slot:    slot.Name,
		Index:   n,
		Port:    slot.Port(n),
		Dir:     st.dir,
		Command: sc.Stack.Command,
		Env:     sc.Stack.Env,
		Release: st.release,
		VarDir:  filepath.Join(base, "var", idx),
		LogPath: c.logPath(sc.Name, slot.Name, n),
	}
	return spec
}

// writePIDFile leaves "PID STARTTIME" beside the slot for operators and
// their tools (the state file is what the controller itself adopts from).
// The start time tells a reused PID from the instance's own.
func (c *Controller) writePIDFile(service, slot string, n int, id stacks.ProcessID) {
	dir := filepath.Join(c.slotDir(service, slot), "run")
	err := os.MkdirAll(dir, 0o750)
	if err == nil {
		err = renameio.WriteFile(filepath.Join(dir, "instance-"+strconv.Itoa(n)+".pid"),
			[]byte(fmt.Sprintf("%d %d\n", id.PID, id.StartTime)), 0o640)
	}
	if err != nil {
		c.log.Warn("write pid file", "service", service, "slot", slot, "instance", n, "err", err)
	}
}

// logPath is the log file of instance n of a slot.
func (c *Controller) logPath(service, slot string, n int) string {
	return filepath.Join(c.slotDir(service, slot), "log", "instance-"+strconv.Itoa(n)+".log")
}

// instanceOptions are the supervision settings of an instance.
func (c *Controller) instanceOptions(s *service, slot string, n int) stacks.Options {
	return c.supervision(s, c.onStart(s, slot, n))
}

// supervision is how the stack block says the processes of a service are
// supervised (instances and jobs alike); onStart records each new process.
func (c *Controller) supervision(s *service, onStart func(stacks.ProcessID)) stacks.Options {
	st := s.conf().Stack
	return stacks.Options{
		Logger:    c.log,
		OnStart:   onStart,
		CrashLoop: stacks.CrashLoopPolicy{MaxExits: st.CrashLoop.MaxExits, Within: st.CrashLoop.Within},
		Log:       stacks.LogPolicy{MaxSize: st.Log.MaxSize, Keep: st.Log.Keep},
	}
}

// render writes what every instance of the slot needs before it starts:
// its driver's files, then the stack's templates.
func (c *Controller) render(ctx context.Context, s *service, slot config.Slot, st stackPlace) error {
	tpls := make([]stacks.Template, len(s.conf().Stack.Templates))
	for i, t := range s.conf().Stack.Templates {
		tpls[i] = stacks.Template{Source: t.Source, Destination: t.Destination}
	}
	if err := c.driverOf(s).render(ctx, s, slot, st); err != nil {
		return err
	}
	if len(tpls) == 0 {
		return nil
	}
	if st.release == workdirRelease {
		if err := c.checkSharedDestinations(s, tpls); err != nil {
			return err
		}
	}
	for n := 1; n <= s.conf().Instances; n++ {
		if err := stacks.RenderTemplates(st.dir, tpls, c.templateData(s, slot, n, st)); err != nil {
			return errorf(KindFailed, "fix the template; the slot was not started", "render templates of %s slot %s instance %d: %v",
				s.conf().Name, slot.Name, n, err)
		}
	}
	return nil
}

// checkSharedDestinations refuses templates that two slots would render to
// the same file: without a release, every slot shares the stack directory,
// and one slot would rewrite the other's configuration under it.
func (c *Controller) checkSharedDestinations(s *service, tpls []stacks.Template) error {
	shared := stackPlace{dir: s.conf().Stack.Dir}
	for _, t := range tpls {
		bySlot := map[string]string{} // rendered destination -> slot
		for _, slot := range s.conf().Slots {
			dest, err := stacks.RenderDestination(t, c.templateData(s, slot, 1, shared))
			if err != nil {
				continue // render reports it with the file and line
			}
			if other, ok := bySlot[dest]; ok {
				return errorf(KindRefused, "put {{.Slot}} in the destination, or deploy a release (deploy up --release)",
					"template destination %q is the same file for slots %s and %s of the shared stack directory", t.Destination, other, slot.Name)
			}
			bySlot[dest] = slot.Name
		}
	}
	return nil
}

// templateData is what the templates of one instance see.
func (c *Controller) templateData(s *service, slot config.Slot, n int, st stackPlace) stacks.TemplateData {
	spec := c.instanceSpec(s.conf(), slot, n, st)
	d := stacks.TemplateData{
		Service: s.conf().Name, Slot: slot.Name, Instance: n, Port: spec.Port, Release: st.release,
		StackDir: st.dir, VarDir: spec.VarDir, ClientName: stacks.ClientName(s.conf().Name, slot.Name, n),
	}
	if z, ok := c.conf().ZEOServer(s.conf().ZEO); ok {
		d.ZEO = &stacks.ZEOData{Address: z.Address, Storages: z.Storages}
	}
	return d
}

// newSlotRun wraps started instances with the service's settings.
func (c *Controller) newSlotRun(s *service, slot string, instances []*stacks.Instance) *slotRun {
	onHealth := func(addr string, healthy bool) {
		c.proxy.SetInstanceHealth(s.conf().Name, slot, addr, healthy)
		c.log.Warn("instance health changed", "service", s.conf().Name, "slot", slot, "addr", addr, "healthy", healthy)
	}
	return newSlotRun(slot, s.conf().Stack.Ready.Path, s.conf().Stack.Grace, s.conf().Health, onHealth, instances)
}

// watchFailures marks the slot failed, with the reason, as soon as one of its
// instances is given up on (crash loop), until the slot stops.
func (c *Controller) watchFailures(s *service, run *slotRun) {
	select {
	case <-run.quit:
		return
	case <-run.anyFailed():
	}
	reason := run.failure()
	c.log.Error("instance failed; slot marked failed", "service", s.conf().Name, "slot", run.name, "reason", reason)
	err := c.update(func(snap *state.Snapshot) {
		if rec := snap.Service(s.conf().Name).Slots[run.name]; rec != nil && s.run(run.name) == run {
			rec.Status, rec.Reason = state.SlotFailed, reason
		}
	})
	if err != nil {
		c.log.Error("record failed slot", "service", s.conf().Name, "slot", run.name, "err", fmt.Sprint(err))
	}
}
