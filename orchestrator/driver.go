package orchestrator

import (
	"context"

	"deploy/config"
	"deploy/stacks"
)

// stackDriver prepares and starts a service's instances. The built-in
// command and zope drivers and the plugin drivers implement it, so starting
// or adopting a slot takes one path whichever driver the service names.
type stackDriver interface {
	// render writes what the slot's instances need before they start.
	render(ctx context.Context, s *service, slot config.Slot, st stackPlace) error
	// command sets how one instance runs (spec.Command, spec.Env).
	command(ctx context.Context, s *service, slot config.Slot, st stackPlace, spec *stacks.InstanceSpec) error
}

// driverOf returns the driver a service names.
func (c *Controller) driverOf(s *service) stackDriver {
	switch {
	case s.conf().Zope != nil:
		return zopeDriver{c}
	case isPluginDriver(s.conf()):
		return pluginDriver{c}
	default:
		return commandDriver{}
	}
}

// commandDriver runs the stack's command as configured.
type commandDriver struct{}

func (commandDriver) render(context.Context, *service, config.Slot, stackPlace) error { return nil }

func (commandDriver) command(_ context.Context, s *service, _ config.Slot, _ stackPlace, spec *stacks.InstanceSpec) error {
	spec.Command = s.conf().Stack.Command
	return nil
}

// zopeDriver writes each instance's zope.conf and wsgi.ini and runs
// Zope's WSGI server on them.
type zopeDriver struct{ c *Controller }

func (d zopeDriver) render(_ context.Context, s *service, slot config.Slot, st stackPlace) error {
	return d.c.renderZope(s, slot, st)
}

func (zopeDriver) command(_ context.Context, s *service, _ config.Slot, _ stackPlace, spec *stacks.InstanceSpec) error {
	spec.Command = zopeCommand(s.conf(), spec.VarDir)
	return nil
}

// pluginDriver asks an external plugin.
type pluginDriver struct{ c *Controller }

func (d pluginDriver) render(ctx context.Context, s *service, slot config.Slot, st stackPlace) error {
	return d.c.renderPluginDriver(ctx, s, slot, st)
}

func (d pluginDriver) command(ctx context.Context, s *service, slot config.Slot, st stackPlace, spec *stacks.InstanceSpec) error {
	return d.c.applyDriver(ctx, s, slot, st, spec)
}
