package config

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// envKeyRe matches names that every shell and exec environment accepts.
var envKeyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reservedEnv are set by deploy for every instance; letting the
// configuration override them would make instances disagree with the
// controller about their own port or slot.
var reservedEnv = []string{"PORT", "INSTANCE", "SLOT", "SERVICE", "VAR_DIR", "RELEASE"}

// stack checks a stack block. needCommand is false when the service's
// driver supplies a default command, or when the driver is in error.
func (c *checker) stack(r *rawStack, needCommand bool) Stack {
	st := Stack{
		Dir:       c.dir,
		Ready:     Ready{Path: defaultReadyPath, Timeout: defaultReadyTimeout},
		Grace:     defaultGrace,
		CrashLoop: CrashLoop{MaxExits: defaultCrashMaxExits, Within: defaultCrashWithin},
		Log:       LogRotation{MaxSize: defaultLogMaxSize, Keep: defaultLogKeep},
	}

	dir, dirState := c.path(r.Dir, c.dir)
	if dirState != invalid {
		st.Dir = dir
		// The directory may be created by a build step before the stack
		// starts, so its absence is worth a warning, not a refusal. (With
		// releases the command runs inside the unpacked release and dir is
		// unused, but the config cannot tell which mode the controller
		// will use.)
		blame := r.DefRange
		if dirState == valid {
			blame = r.Dir.Range()
		}
		c.workDir(dir, blame, "Stack", "the stack")
	}

	cmd, cmdState := c.stringList(r.Command)
	switch {
	case cmdState == absent && needCommand:
		c.add(errorf(r.DefRange, "Missing command",
			"The stack needs a command that starts one instance, such as command = [\"./bin/app\"]."))
	case cmdState == valid && len(cmd) == 0:
		c.add(errorf(r.Command.Range(), "Empty command",
			"List the program and its arguments, such as command = [\"./bin/app\", \"--port\", \"9101\"]."))
	case cmdState == valid:
		for _, a := range cmd {
			if a.val == "" {
				c.add(errorf(a.rng, "Empty command argument",
					"Command arguments must not be empty strings; remove it."))
				continue
			}
			st.Command = append(st.Command, a.val)
		}
	}

	st.Env = c.env(r.Env)

	once(c, "ready", r.Readies, func(r *rawReady) hcl.Range { return r.DefRange })
	for i, rr := range r.Readies {
		if ready := c.ready(rr); i == 0 {
			st.Ready = ready
		}
	}

	st.Templates = c.templates(r.Templates)
	if d, s := c.duration(r.Grace, defaultGrace); s != invalid {
		st.Grace = d
	}
	st.CrashLoop = c.crashLoop(r.CrashLoops)
	st.Log = c.logRotation(r.Logs)
	return st
}

// workDir checks dir, where a process will run. kind names it in the
// summary, such as "Stack", and what in the detail, such as "the stack".
func (c *checker) workDir(dir string, blame hcl.Range, kind, what string) {
	switch fi, err := os.Stat(dir); {
	case err != nil:
		c.add(warnf(blame, kind+" directory not found",
			"%s does not exist yet; %s will fail to start unless something creates it first.", dir, what))
	case !fi.IsDir():
		c.add(errorf(blame, kind+" directory is a file",
			"%s is not a directory. Set dir to the directory the command runs in.", dir))
	}
}

// env checks the environment of a stack or a migration: both run in a
// stack dir with the variables deploy sets there.
func (c *checker) env(expr hcl.Expression) map[string]string {
	vals, keys, st := c.stringMap(expr)
	if st != valid {
		return map[string]string{}
	}
	env := make(map[string]string, len(vals))
	// Sorted so that diagnostics come out in a stable order.
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		switch {
		case !envKeyRe.MatchString(k):
			c.add(errorf(keys[k], "Invalid environment variable name",
				"%q is not a valid name: use letters, digits and '_', not starting with a digit.", k))
		case slices.Contains(reservedEnv, k):
			c.add(errorf(keys[k], "Reserved environment variable",
				"%s is set by deploy for every instance (as are %s); remove it from env.", k, strings.Join(reservedEnv, ", ")))
		default:
			env[k] = vals[k]
		}
	}
	return env
}

func (c *checker) ready(r *rawReady) Ready {
	ready := Ready{Path: defaultReadyPath, Timeout: defaultReadyTimeout}
	if path, st := decode[string](c, r.Path); st == valid {
		if strings.HasPrefix(path, "/") {
			ready.Path = path
		} else {
			c.add(errorf(r.Path.Range(), "Invalid ready path",
				"The ready path must start with \"/\", such as \"/healthz\"; it is requested on each instance's own port."))
		}
	}
	if d, st := c.duration(r.Timeout, defaultReadyTimeout); st != invalid {
		ready.Timeout = d
	}
	return ready
}
