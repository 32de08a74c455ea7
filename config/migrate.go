package config

import (
	"github.com/hashicorp/hcl/v2"
)

func (c *checker) migrate(raws []*rawMigrate) *Migrate {
	once(c, "migrate", raws, func(r *rawMigrate) hcl.Range { return r.DefRange })
	var out *Migrate
	for i, r := range raws {
		if m := c.migrateBlock(r); i == 0 {
			out = m
		}
	}
	return out
}

func (c *checker) migrateBlock(r *rawMigrate) *Migrate {
	m := &Migrate{Timeout: defaultMigrateTimeout}
	cmd, st := c.command(r.Command, `["bin/migrate"]`)
	if st == absent {
		c.add(errorf(r.DefRange, "Missing command",
			"The migrate block needs the command that migrates the data, such as command = [\"bin/migrate\"]; it runs in the new release's stack dir."))
	}
	m.Command = cmd
	// The migration runs in a stack dir like the stack, so the same
	// variables are deploy's own.
	m.Env = c.env(r.Env)
	if d, st := c.duration(r.Timeout, defaultMigrateTimeout); st != invalid {
		m.Timeout = d
	}
	return m
}
