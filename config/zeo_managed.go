package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// A ZEO server that the controller runs itself: its command, its zeo.conf
// and its pack schedule.

// packSchedules are the schedules a pack block may name instead of a
// duration.
var packSchedules = map[string]time.Duration{
	"daily":  24 * time.Hour,
	"weekly": 7 * 24 * time.Hour,
}

// managedZEO checks the managed block rm of the zeo block z.
func (c *checker) managedZEO(z *rawZEO, rm *rawManaged) *ManagedZEO {
	m := &ManagedZEO{Dir: c.dir}
	cmd, st := c.command(rm.Command, `["bin/runzeo", "-C", "zeo.conf"]`)
	if st == absent {
		c.add(errorf(rm.DefRange, "Missing command",
			"The managed block needs the command that runs ZEO server %q, such as command = [\"bin/runzeo\", \"-C\", \"zeo.conf\"]; $ZEO_CONF names the rendered zeo.conf.", z.Name))
	}
	m.Command = cmd

	dir, dirState := c.path(rm.Dir, c.dir)
	if dirState != invalid {
		m.Dir = dir
		// Like a stack's, the directory may be made by a build step
		// before the server starts.
		blame := rm.DefRange
		if dirState == valid {
			blame = rm.Dir.Range()
		}
		c.workDir(dir, blame, "ZEO", fmt.Sprintf("ZEO server %q", z.Name))
	}

	if path, st := c.path(rm.ConfigTemplate, ""); st == valid && c.zeoTemplate(path, rm.ConfigTemplate.Range()) {
		m.ConfigTemplate = path
	}
	m.InvalidationQueueSize = c.count(rm.InvalidationQueueSize, "invalidation_queue_size", 0, 1, maxInvalidationQueue,
		"Remove the setting to keep the server's default.")
	if d, st := c.duration(rm.TransactionTimeout, 0); st == valid {
		// zeo.conf counts whole seconds; a fraction would be cut off,
		// and "500ms" would silently become the server's default.
		if d%time.Second != 0 {
			c.add(errorf(rm.TransactionTimeout.Range(), "Invalid transaction_timeout",
				"zeo.conf counts transaction-timeout in whole seconds; %s is not. Write such as \"300s\" or \"5m\".", d))
		} else {
			m.TransactionTimeout = d
		}
	}

	once(c, "pack", rm.Packs, func(r *rawPack) hcl.Range { return r.DefRange })
	for i, rp := range rm.Packs {
		if p := c.pack(rp); i == 0 {
			m.Pack = p
		}
	}
	return m
}

// managedAddress checks what the address of a managed server must be
// beyond what any ZEO client connects to: the controller supervises the
// server on its port, which must be free of the proxy's and of other
// managed servers'. Slots are checked later and report their own overlap
// with it. addr is "" when it is invalid.
func (c *checker) managedAddress(z *rawZEO, addr string) {
	if addr == "" {
		return
	}
	_, portText, err := net.SplitHostPort(addr)
	port, ok := parsePort(portText)
	if err != nil || !ok {
		c.add(errorf(z.Address.Range(), "Managed ZEO server on a socket",
			"The controller supervises a managed ZEO server on its TCP port, so %q cannot be used; write a \"host:port\" address, such as \"127.0.0.1:8100\".", addr))
		return
	}
	p := portRange{lo: port, hi: port, owner: fmt.Sprintf("zeo %q", z.Name)}
	for _, o := range c.ports {
		if p.overlaps(o) {
			c.add(errorf(z.Address.Range(), "Port collision",
				"Port %d of managed ZEO server %q is already taken by %s. Choose another port for the server.", port, z.Name, o.owner))
			break
		}
	}
	c.ports = append(c.ports, p)
}

// zeoTemplate reports whether the file at path is a text/template that the
// controller can render into zeo.conf, and says at rng why it is not.
// Executing it needs the controller's data, so only parsing is checked.
func (c *checker) zeoTemplate(path string, rng hcl.Range) bool {
	bad := func(summary, detail string, args ...any) bool {
		c.add(errorf(rng, summary, detail, args...))
		return false
	}
	const instead = "Write the path of a text/template file, relative to the configuration file's directory or absolute, or remove config_template to use the built-in zeo.conf."
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return bad("Cannot read config_template", "%s. %s", err, instead)
	case !fi.Mode().IsRegular():
		return bad("config_template is not a file", "%s is not a regular file. %s", path, instead)
	}
	text, err := readUpTo(path, maxZEOTemplate)
	switch {
	case err != nil:
		return bad("Cannot read config_template", "%s. Check that deploy may read it.", err)
	case len(text) > maxZEOTemplate:
		return bad("config_template too large",
			"%s is over %d bytes, far more than any zeo.conf. Check that config_template names the template.", path, maxZEOTemplate)
	}
	if _, err := template.New(filepath.Base(path)).Parse(string(text)); err != nil {
		return bad("Invalid config_template",
			"%s is not a valid text/template: %s. Fix the template.", path, strings.TrimPrefix(err.Error(), "template: "))
	}
	return true
}

func (c *checker) pack(r *rawPack) *ZEOPack {
	p := &ZEOPack{}
	cmd, st := c.command(r.Command, `["bin/zeopack", "-d", "1"]`)
	if st == absent {
		c.add(errorf(r.DefRange, "Missing command",
			"The pack block needs the command that packs one storage, such as command = [\"bin/zeopack\"]; it runs once per storage with $STORAGE and $DAYS set."))
	}
	p.Command = cmd
	p.Every = c.packSchedule(r)
	p.Days = c.count(r.Days, "days", defaultPackDays, 0, maxPackDays, "Write 0 to keep no history.")
	return p
}

// packSchedule decodes how often a pack runs: "daily", "weekly" or a Go
// duration of at least minPackEvery. It returns 0 when that is absent or
// wrong.
func (c *checker) packSchedule(r *rawPack) time.Duration {
	const instead = `Write "daily", "weekly", or a duration such as "72h".`
	s, st := decode[string](c, r.Schedule)
	switch st {
	case absent:
		c.add(errorf(r.DefRange, "Missing schedule", "The pack block needs a schedule. %s", instead))
		return 0
	case invalid:
		return 0
	}
	if d, ok := packSchedules[s]; ok {
		return d
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		c.add(errorf(r.Schedule.Range(), "Invalid schedule", "%q is not a schedule. %s", s, instead))
		return 0
	case d < minPackEvery:
		c.add(errorf(r.Schedule.Range(), "Invalid schedule",
			"Packs must be at least %s apart; %q is less. %s", minPackEvery, s, instead))
		return 0
	}
	return d
}
