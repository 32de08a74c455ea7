package config

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
)

// nameRe matches service and slot names. They become directory names under
// the state directory, so they are kept to a portable, lower-case subset.
var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func (c *checker) service(r *rawService) *Service {
	s := &Service{
		Name:         r.Name,
		Instances:    defaultInstances,
		DrainTimeout: defaultDrainTimeout,
		Watch:        defaultWatch,
	}
	if c.name("service", r.Name, r.NameRange) {
		if first, dup := c.services[r.Name]; dup {
			c.add(errorf(r.NameRange, "Duplicate service",
				"Service %q is already defined (first defined at %s). Rename or remove one of them.", r.Name, where(first)))
		} else {
			c.services[r.Name] = r.NameRange
		}
	}

	hosts, hostsState := c.stringList(r.Hosts)
	s.Hosts = c.hostList(hostClaim{service: r.Name}, hosts)
	def, defState := decode[bool](c, r.Default)
	s.Default = def
	if def {
		if c.deflt != nil {
			c.add(errorf(r.Default.Range(), "Duplicate default service",
				"Service %q is already the default (first defined at %s); only one service may serve unmatched hosts. Remove one of the two default = true.",
				c.deflName, where(*c.deflt)))
		} else {
			rng := r.Default.Range()
			c.deflt, c.deflName = &rng, r.Name
		}
	}
	if hostsState != invalid && defState != invalid && len(hosts) == 0 && !def {
		blame := r.DefRange
		if hostsState == valid {
			blame = r.Hosts.Range()
		}
		c.add(errorf(blame, "Service without hosts",
			"Service %q has no hosts, so no request would reach it. List its host names in hosts, or set default = true to serve every unmatched host.", r.Name))
	}

	if n, st := decode[int](c, r.Instances); st == valid {
		if n < 1 || n > maxInstances {
			c.add(errorf(r.Instances.Range(), "Invalid instances",
				"instances must be from 1 to %d; it is %d.", maxInstances, n))
		} else {
			s.Instances = n
		}
	}
	if d, st := c.duration(r.DrainTimeout, defaultDrainTimeout); st != invalid {
		s.DrainTimeout = d
	}

	zeo, zeoState := c.serviceZEO(r.ZEO)
	s.ZEO = zeo
	driver, driverState := c.driver(r.Driver)
	s.Driver = driver

	s.Slots = c.slots(r, s.Instances)
	c.serviceStack(r, s, driver, driverState)
	s.Zope = c.zope(r, driver, driverState, zeo, zeoState)
	if s.Zope != nil && s.Zope.Command != nil && s.Stack.Command != nil {
		c.add(errorf(r.Zopes[0].Command.Range(), "Conflicting commands",
			"The stack already sets a command at %s; a Zope service's command is written once, in its zope block, or left out to run Zope's WSGI server. Remove one of the two.", where(r.Stacks[0].Command.Range())))
	}
	s.VirtualHost = c.virtualHost(r.VirtualHosts)
	s.DriverConfig = c.driverConfig(r, driver, driverState)

	s.Checks = c.checks(r, s.Hosts, zeoState)
	s.Preview = c.preview(r.Name, r.Previews)
	s.Health = c.health(r.Healths)
	s.WarmUp = c.warmUp(r.WarmUps)
	if d, st := c.durationOrOff(r.Watch, defaultWatch, "the watch after a switch"); st != invalid {
		s.Watch = d
	}
	s.RollbackWhen = c.rollbackWhen(r.RollbackWhens)
	s.Maintenance = c.maintenance(r.Maintenances)
	s.Migrate = c.migrate(r.Migrates)
	s.Notify = c.notifiers(r)
	s.TLS = c.serviceTLS(r, s)
	s.Cache = c.cache(r.Caches)
	s.Jobs = c.jobs(r.Jobs)
	s.Restart = c.restart(r.Restarts)
	return s
}

// serviceStack checks the stack blocks of a service. The zope driver has
// a default command, and a plugin driver gives its own; with a driver in
// error the command is not asked for, since whether it is needed is
// unknown.
func (c *checker) serviceStack(r *rawService, s *Service, driver string, driverState state) {
	once(c, "stack", r.Stacks, func(r *rawStack) hcl.Range { return r.DefRange })
	needCommand := driverState != invalid && driver == DriverCommand
	if len(r.Stacks) == 0 {
		example := `stack { command = ["./bin/app"] }`
		if !needCommand {
			example = `stack { dir = "." }`
		}
		c.add(errorf(r.DefRange, "Missing stack block",
			"Service %q needs a stack block that says how to run it, such as %s.", r.Name, example))
	}
	for i, rs := range r.Stacks {
		if st := c.stack(rs, needCommand); i == 0 {
			s.Stack = st
		}
	}
}

// name checks a service or slot name and reports whether it is valid.
func (c *checker) name(kind, name string, rng hcl.Range) bool {
	if nameRe.MatchString(name) {
		return true
	}
	c.add(errorf(rng, "Invalid "+kind+" name",
		"%q cannot be a %s name: names become directory names, so use 1 to 63 lower-case letters, digits, '-' or '_', starting with a letter or digit.", name, kind))
	return false
}

// slots checks the slots of a service. instances is the service's instance
// count, or the default when it was invalid, so that port checks still run.
func (c *checker) slots(r *rawService, instances int) []Slot {
	if len(r.Slots) == 0 {
		c.add(errorf(r.DefRange, "Missing slot block",
			"Service %q needs at least one slot, such as slot \"blue\" { base_port = 9101 }; blue/green deployment uses two.", r.Name))
		return nil
	}
	var out []Slot
	seen := map[string]hcl.Range{}
	for _, rs := range r.Slots {
		if c.name("slot", rs.Name, rs.NameRange) {
			if first, dup := seen[rs.Name]; dup {
				c.add(errorf(rs.NameRange, "Duplicate slot",
					"Service %q already has a slot %q (first defined at %s). Rename or remove one of them.", r.Name, rs.Name, where(first)))
			} else {
				seen[rs.Name] = rs.NameRange
			}
		}
		slot := Slot{Name: rs.Name}
		port, st := decode[int](c, rs.BasePort)
		switch {
		case st == absent:
			c.add(errorf(rs.DefRange, "Missing base_port",
				"Slot %q needs a base_port; instance n listens on base_port + n - 1.", rs.Name))
		case st == valid && (port < 1 || port > 65535):
			c.add(errorf(rs.BasePort.Range(), "Invalid port",
				"base_port must be from 1 to 65535; it is %d.", port))
		case st == valid && port+instances-1 > 65535:
			c.add(errorf(rs.BasePort.Range(), "Invalid port",
				"With %d instances, slot %q needs ports %d-%d, past the last port 65535. Lower base_port.",
				instances, rs.Name, port, port+instances-1))
		case st == valid:
			slot.BasePort = port
			c.claimPorts(portRange{
				lo:    port,
				hi:    port + instances - 1,
				owner: fmt.Sprintf("service %q slot %q", r.Name, rs.Name),
			}, rs.BasePort.Range())
		}
		out = append(out, slot)
	}
	return out
}
