package orchestrator

import (
	"path/filepath"

	"deploy/config"
	"deploy/stacks/zope"
)

// zopeInstance is instance n of a slot as the zope driver renders it.
func (c *Controller) zopeInstance(sc *config.Service, slot config.Slot, n int, st stackPlace, varDir string) zope.Instance {
	in := zope.Instance{Service: sc.Name, Slot: slot.Name, Index: n, Port: slot.Port(n), StackDir: st.dir, VarDir: varDir}
	if z, ok := c.conf().ZEOServer(sc.ZEO); ok {
		in.ZEOAddress = z.Address
	}
	return in
}

// zopeFiles are where the zope driver writes an instance's configuration:
// inside the instance's own var dir, which no other process shares.
func zopeFiles(varDir string) zope.Files {
	return zope.Files{
		ZopeConf: filepath.Join(varDir, "etc", "zope.conf"),
		WSGIIni:  filepath.Join(varDir, "etc", "wsgi.ini"),
	}
}

// renderZope writes every instance's zope.conf and wsgi.ini (zope driver).
func (c *Controller) renderZope(s *service, slot config.Slot, st stackPlace) error {
	for n := 1; n <= s.conf().Instances; n++ {
		spec := c.instanceSpec(s.conf(), slot, n, st)
		if _, err := zope.Write(*s.conf().Zope, c.zopeInstance(s.conf(), slot, n, st, spec.VarDir)); err != nil {
			return errorf(KindFailed, "fix the zope block; the slot was not started", "write the Zope configuration of %s slot %s instance %d: %v",
				s.conf().Name, slot.Name, n, err)
		}
	}
	return nil
}

// zopeCommand starts an instance on its wsgi.ini: the zope block's command,
// else the stack's, else Zope's runwsgi.
func zopeCommand(sc *config.Service, varDir string) []string {
	z := *sc.Zope
	if len(z.Command) == 0 {
		z.Command = sc.Stack.Command
	}
	return zope.Command(z, zopeFiles(varDir))
}
