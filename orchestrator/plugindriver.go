package orchestrator

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"

	"deploy/config"
	"deploy/plugins"
	"deploy/stacks"
)

// stackContext is what a plugin driver learns of a slot's stack.
func (c *Controller) stackContext(s *service, slot config.Slot, st stackPlace, settings map[string]any) plugins.StackContext {
	sc := plugins.StackContext{Service: s.conf().Name, Slot: slot.Name, Release: st.release, StackDir: st.dir, Config: settings}
	if z, ok := c.conf().ZEOServer(s.conf().ZEO); ok {
		sc.ZEOAddress, sc.ZEOStorages = z.Address, z.Storages
	}
	for n := 1; n <= s.conf().Instances; n++ {
		sc.Instances = append(sc.Instances, c.instanceContext(s, slot, n, st))
	}
	return sc
}

func (c *Controller) instanceContext(s *service, slot config.Slot, n int, st stackPlace) plugins.InstanceContext {
	spec := c.instanceSpec(s.conf(), slot, n, st)
	return plugins.InstanceContext{Index: n, Port: spec.Port, VarDir: spec.VarDir, ClientName: stacks.ClientName(s.conf().Name, slot.Name, n)}
}

// renderPluginDriver asks a plugin driver for the stack's files and writes
// them inside the stack dir. The plugins package already refused paths that
// leave it; writing through os.Root makes sure of it even against a link
// planted in the tree.
func (c *Controller) renderPluginDriver(ctx context.Context, s *service, slot config.Slot, st stackPlace) error {
	d, settings, err := c.parts.driver(ctx, s.conf())
	if err != nil {
		return errorf(KindFailed, "see deploy plugins; the slot was not started", "%s slot %s: %v", s.conf().Name, slot.Name, err)
	}
	files, err := d.Render(ctx, c.stackContext(s, slot, st, settings))
	if err != nil {
		return errorf(KindFailed, "the slot was not started", "%s slot %s: %v", s.conf().Name, slot.Name, err)
	}
	if err := writeInside(st.dir, files); err != nil {
		return errorf(KindFailed, "the slot was not started", "%s slot %s: files of driver %q: %v", s.conf().Name, slot.Name, s.conf().Driver, err)
	}
	return nil
}

// writeInside writes files below dir, each replaced atomically.
func writeInside(dir string, files []plugins.File) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range files {
		if err := root.MkdirAll(filepath.Dir(f.Path), 0o750); err != nil {
			return err
		}
		tmp := f.Path + ".deploy-tmp"
		if err := root.WriteFile(tmp, f.Data, fs.FileMode(f.Mode)&fs.ModePerm); err != nil {
			return err
		}
		if err := root.Rename(tmp, f.Path); err != nil {
			root.Remove(tmp)
			return err
		}
	}
	return nil
}

// applyDriver sets an instance's command from its plugin driver.
func (c *Controller) applyDriver(ctx context.Context, s *service, slot config.Slot, st stackPlace, spec *stacks.InstanceSpec) error {
	d, settings, err := c.parts.driver(ctx, s.conf())
	if err != nil {
		return err
	}
	argv, env, err := d.Command(ctx, c.stackContext(s, slot, st, settings), c.instanceContext(s, slot, spec.Index, st))
	if err != nil {
		return err
	}
	spec.Command = argv
	merged := maps.Clone(spec.Env)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, env)
	spec.Env = merged
	return nil
}
