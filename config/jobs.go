package config

import (
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hashicorp/hcl/v2"
)

// jobSignals are the signals a drain may send to ask a job to take no new
// work; the ones that end a process are left to the stop that follows.
var jobSignals = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2,
	"WINCH": syscall.SIGWINCH, "TSTP": syscall.SIGTSTP,
}

func (c *checker) jobs(raws []*rawJob) []Job {
	var out []Job
	seen := map[string]hcl.Range{}
	for _, r := range raws {
		if c.name("job", r.Name, r.NameRange) {
			if first, dup := seen[r.Name]; dup {
				c.add(errorf(r.NameRange, "Duplicate job",
					"Job %q is already defined (first defined at %s). Rename or remove one of them.", r.Name, where(first)))
				continue
			}
			seen[r.Name] = r.NameRange
		}
		out = append(out, c.job(r))
	}
	return out
}

func (c *checker) job(r *rawJob) Job {
	j := Job{Name: r.Name, Grace: defaultJobGrace}
	cmd, st := c.command(r.Command, `["bin/maildrop"]`)
	if st == absent {
		c.add(errorf(r.DefRange, "Missing command",
			"Job %q needs the command that runs it, such as command = [\"bin/maildrop\"]; it runs in the live slot's stack dir.", r.Name))
	}
	j.Command = cmd
	j.Env = c.env(r.Env)
	if d, st := c.duration(r.Grace, defaultJobGrace); st != invalid {
		j.Grace = d
	}
	if with, st := decode[string](c, r.RunWith); st == valid && with != "live" {
		c.add(errorf(r.RunWith.Range(), "Invalid run_with",
			"run_with = %q is not known. A job runs once per service, from the live slot's release: write run_with = \"live\", or leave it out.", with))
	}
	once(c, "drain", r.Drains, func(d *rawJobDrain) hcl.Range { return d.DefRange })
	j.Drain = JobDrain{Interval: defaultJobDrainInterval, Timeout: defaultJobDrainTimeout}
	for i, d := range r.Drains {
		if dr := c.jobDrain(d); i == 0 {
			j.Drain = dr
		}
	}
	return j
}

func (c *checker) jobDrain(r *rawJobDrain) JobDrain {
	d := JobDrain{Interval: defaultJobDrainInterval, Timeout: defaultJobDrainTimeout}
	var cmdState state
	d.Command, cmdState = c.command(r.Command, `["bin/queue-empty"]`)
	p, fileState := decode[string](c, r.FileEmpty)
	if fileState == valid {
		if clean := filepath.Clean(p); p != "" && clean != "." && filepath.IsLocal(clean) {
			d.FileEmpty = clean
		} else {
			c.add(errorf(r.FileEmpty.Range(), "Invalid file_empty",
				"%q must be a path relative to the stack dir that stays inside it, such as \"var/maildrop/spool\".", p))
		}
	}
	if cmdState != absent && fileState != absent {
		c.add(errorf(r.FileEmpty.Range(), "Conflicting drain conditions",
			"A drain waits for one condition: the command at %s exiting 0, or file_empty. Remove one of the two.", where(r.Command.Range())))
	}
	if name, st := decode[string](c, r.Signal); st == valid {
		if sig, ok := jobSignals[strings.TrimPrefix(strings.ToUpper(name), "SIG")]; ok {
			d.Signal = sig
		} else {
			c.add(errorf(r.Signal.Range(), "Invalid signal",
				"%q is not a signal a drain may send. Write one of HUP, INT, USR1, USR2, WINCH or TSTP; the job is stopped with TERM once drained.", name))
		}
	}
	if v, st := c.duration(r.Interval, defaultJobDrainInterval); st != invalid {
		d.Interval = v
	}
	if v, st := c.duration(r.Timeout, defaultJobDrainTimeout); st != invalid {
		d.Timeout = v
	}
	return d
}
