package config

import (
	"net/netip"
	"syscall"
	"time"
)

// What the front cache and cron used to do for a site: a response cache in
// the proxy, singleton jobs, scheduled restarts.

// Cache is a service's response cache in the proxy.
type Cache struct {
	MaxSize int64 // bytes held at most, least recently used evicted first
	// DefaultTTL is the lifetime given to a storable response that states
	// none; 0 stores only responses that state their own.
	DefaultTTL time.Duration
	// PurgeFrom are the peers whose PURGE requests are obeyed; loopback
	// when the block names none.
	PurgeFrom []netip.Prefix
}

// Job is a process that runs once per service, from the live slot's
// release: a mail queue runner, a clock server, an async worker.
type Job struct {
	Name    string
	Command []string // run in the live slot's stack dir
	Env     map[string]string
	Grace   time.Duration // between SIGTERM and SIGKILL when stopped
	Drain   JobDrain
}

// JobDrain says when the job of the slot that stopped being live has
// finished its work and may be stopped. With neither Command nor FileEmpty
// it is stopped at once.
type JobDrain struct {
	// Command is run in the old slot's stack dir until it exits 0.
	Command []string
	// FileEmpty, relative to the old slot's stack dir, is drained when it is
	// missing, an empty file, or a directory tree whose files are all empty
	// (a spool's lock files hold nothing).
	FileEmpty string
	// Signal is sent to the old job when the hand-over starts, to ask it
	// to take no new work (0: none).
	Signal   syscall.Signal
	Interval time.Duration
	Timeout  time.Duration // the old job is stopped then, and the hand-over says so
}

// Restart is when the controller restarts a service's live slot by itself.
type Restart struct {
	// Schedule as written ("daily 04:30", "30 4 * * *", "@every 6h").
	Schedule string
}

// Job returns the service's job of that name, or nil.
func (s *Service) Job(name string) *Job {
	for i := range s.Jobs {
		if s.Jobs[i].Name == name {
			return &s.Jobs[i]
		}
	}
	return nil
}
