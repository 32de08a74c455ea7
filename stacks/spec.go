// Package stacks runs the instance processes of a slot's stack and keeps them
// running: each instance in its own process group, restarted with backoff when
// it exits (until a crash loop fails it), its log file rotated by size, and
// re-adopted by a controller that restarts while it runs. It also renders the
// stack's configuration templates for each instance.
package stacks

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults for supervision and readiness probing.
const (
	pollInterval      = 250 * time.Millisecond // how often a running process is checked for an exit
	stopPollInterval  = 50 * time.Millisecond  // how often Stop checks whether the group is gone
	backoffInitial    = 200 * time.Millisecond
	backoffMax        = 30 * time.Second
	backoffMultiplier = 2
	backoffJitter     = 0.2
	stableUptime      = 10 * time.Second // a process up this long was healthy: its exit resets the backoff
	crashLoopExits    = 5                // default CrashLoopPolicy.MaxExits
	crashLoopWithin   = 60 * time.Second // default CrashLoopPolicy.Within
	logMaxSize        = 10 << 20         // default LogPolicy.MaxSize
	logKeep           = 3                // default LogPolicy.Keep
	logCheckInterval  = time.Second      // how often the log file's size is checked
	probeTimeout      = time.Second
	probeInterval     = 100 * time.Millisecond
	dirMode           = 0o750
	logFileMode       = 0o640
)

// ErrGone is returned by Adopt when the process is no longer running or its PID now belongs to another process.
var ErrGone = errors.New("process is gone")

// InstanceSpec says how to run one instance process of a slot, or one job:
// a process of the slot that listens on no port.
type InstanceSpec struct {
	Service, Slot string
	Index         int    // 1-based
	Port          int    // 0 for a job
	Job           string // the job's name; "" for an instance
	Dir           string // working directory; a relative Command[0] containing "/" is resolved against it
	Command       []string
	Env           map[string]string
	Release       string
	VarDir        string
	LogPath       string
}

// ProcessID identifies one process across controller restarts (PID reuse is detected by StartTime).
type ProcessID struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"start_time"` // field 22 of /proc/PID/stat, in clock ticks since boot
}

// Options are hooks and logging for an Instance.
type Options struct {
	// Logger receives one line per start, exit, restart and stop; nil means slog.Default().
	Logger *slog.Logger
	// OnStart is called every time a new process starts, including the first,
	// so that the controller can persist its ProcessID. The first call happens
	// inside Start before it returns, later ones from the supervising
	// goroutine; calls never overlap. It is not called for an adopted process
	// (the controller already knows it), only for the processes that replace it.
	// It must not call Stop or Detach on the same Instance (they wait for the
	// supervising goroutine, which is busy calling it).
	OnStart func(ProcessID)
	// CrashLoop says when an instance that keeps exiting is given up on; the
	// zero value means 5 exits within 60s.
	CrashLoop CrashLoopPolicy
	// Log says when the instance's log file is rotated and how many rotated
	// copies are kept; the zero value means over 10 MiB, 3 copies.
	Log LogPolicy
}

// name is how errors and logs refer to the instance: service/slot#index.
func (s InstanceSpec) name() string {
	if s.Job != "" {
		return fmt.Sprintf("%s/%s job %s", s.Service, s.Slot, s.Job)
	}
	return fmt.Sprintf("%s/%s#%d", s.Service, s.Slot, s.Index)
}

// validate reports every problem with s at once.
func (s InstanceSpec) validate() error {
	var problems []string
	if s.Service == "" {
		problems = append(problems, "service is empty")
	}
	if s.Slot == "" {
		problems = append(problems, "slot is empty")
	}
	if s.Index < 1 {
		problems = append(problems, fmt.Sprintf("index %d is not 1 or more", s.Index))
	}
	switch {
	case s.Job != "" && s.Port != 0:
		problems = append(problems, fmt.Sprintf("a job listens on no port, but port %d is set", s.Port))
	case s.Job == "" && (s.Port < 1 || s.Port > 65535):
		problems = append(problems, fmt.Sprintf("port %d is not between 1 and 65535", s.Port))
	}
	if len(s.Command) == 0 || s.Command[0] == "" {
		problems = append(problems, "command is empty")
	}
	if s.VarDir == "" {
		problems = append(problems, "var dir is empty")
	}
	if s.LogPath == "" {
		problems = append(problems, "log path is empty")
	}
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			problems = append(problems, fmt.Sprintf("environment variable name %q is invalid", k))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("instance %s: %s", s.name(), strings.Join(problems, "; "))
}

// clone returns a copy that shares no slice or map with s, so callers cannot
// change a running instance's spec behind its back.
func (s InstanceSpec) clone() InstanceSpec {
	s.Command = slices.Clone(s.Command)
	s.Env = maps.Clone(s.Env)
	return s
}

// environ is the controller's environment, then spec.Env, then the deploy
// variables; exec keeps the last value of a duplicated name, so the deploy
// variables always win.
func (s InstanceSpec) environ() []string {
	// systemd's notify socket is the controller's: an instance that speaks
	// sd_notify must not report readiness or reloads in its name.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "NOTIFY_SOCKET=") })
	if s.Dir != "" {
		// The inherited PWD is the controller's; shells and some runtimes trust it.
		if dir, err := filepath.Abs(s.Dir); err == nil {
			env = append(env, "PWD="+dir)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		env = append(env, k+"="+s.Env[k])
	}
	// The process runs in Dir, so a relative VarDir must not be taken relative to it.
	varDir, err := filepath.Abs(s.VarDir)
	if err != nil {
		varDir = s.VarDir
	}
	if s.Job != "" {
		env = append(env, "JOB="+s.Job)
	} else {
		env = append(env, "PORT="+strconv.Itoa(s.Port))
	}
	return append(env,
		"INSTANCE="+strconv.Itoa(s.Index),
		"SLOT="+s.Slot,
		"SERVICE="+s.Service,
		"VAR_DIR="+varDir,
		"RELEASE="+s.Release,
	)
}
