// Package state holds what the controller must remember across restarts:
// which slot of each service is live and which was live before, what each
// slot runs, and the append-only history of operations.
package state

import "time"

// Slot statuses, as recorded.
const (
	SlotStarting = "starting"
	SlotRunning  = "running"
	SlotStopped  = "stopped"
	SlotFailed   = "failed"
)

// Snapshot is the whole remembered state. It is saved as one value so that a
// crash leaves either the old snapshot or the new one, never a mix.
type Snapshot struct {
	Services map[string]*Service `json:"services"`
	// ZEO holds the process of each ZEO server the controller manages, by
	// name, so that a restarted controller adopts it instead of starting a
	// second one on the same storage files.
	ZEO map[string]*Instance `json:"zeo,omitempty"`
}

// Service is the remembered state of one service.
type Service struct {
	Live     string           `json:"live,omitempty"`
	Previous string           `json:"previous,omitempty"`
	Slots    map[string]*Slot `json:"slots,omitempty"`
	// Maintenance is kept across restarts: a site taken down for a
	// migration must not come back half-migrated because the controller
	// restarted.
	Maintenance *Maintenance `json:"maintenance,omitempty"`
	// Jobs are the processes of the service's singleton jobs, so that a
	// restarted controller adopts them rather than starting a second one.
	Jobs []Job `json:"jobs,omitempty"`
}

// Job is one process of a singleton job, from the slot whose release it
// runs. Two processes of one job exist only while the old one drains.
type Job struct {
	Name      string `json:"name"`
	Slot      string `json:"slot"`
	Release   string `json:"release,omitempty"`
	PID       int    `json:"pid,omitempty"`
	StartTime uint64 `json:"start_time,omitempty"`
	Draining  bool   `json:"draining,omitempty"`
}

// Maintenance says that the proxy answers a service's visitors with the
// maintenance page, since when, why and on whose word.
type Maintenance struct {
	Message string    `json:"message,omitempty"`
	Since   time.Time `json:"since"`
	Actor   string    `json:"actor"`
}

// Slot is the remembered state of one slot of a service.
type Slot struct {
	Status    string     `json:"status"`
	Release   string     `json:"release,omitempty"`
	StartedAt time.Time  `json:"started_at,omitzero"`
	Instances []Instance `json:"instances,omitempty"`
	Reason    string     `json:"reason,omitempty"`
}

// Instance is one process of a slot, identified well enough to re-adopt it
// after a controller restart (PID reuse is caught by the start time).
type Instance struct {
	Index     int    `json:"index"`
	Port      int    `json:"port"`
	PID       int    `json:"pid,omitempty"`
	StartTime uint64 `json:"start_time,omitempty"`
}

// Service returns the named service's state, creating it if needed.
func (s *Snapshot) Service(name string) *Service {
	if s.Services == nil {
		s.Services = map[string]*Service{}
	}
	svc, ok := s.Services[name]
	if !ok {
		svc = &Service{}
		s.Services[name] = svc
	}
	if svc.Slots == nil {
		svc.Slots = map[string]*Slot{}
	}
	return svc
}

// Entry is one line of history: an operation and how it ended.
type Entry struct {
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Op      string    `json:"op"`
	Service string    `json:"service"`
	Slot    string    `json:"slot,omitempty"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Forced  bool      `json:"forced,omitempty"`
	Release string    `json:"release,omitempty"`
	// Checks summarises the smoke checks the operation ran, or says they
	// were skipped and by whose choice.
	Checks   string  `json:"checks,omitempty"`
	Result   string  `json:"result"`
	Error    string  `json:"error,omitempty"`
	Detail   string  `json:"detail,omitempty"`
	Duration float64 `json:"duration_ms"`
}

// History results.
const (
	ResultOK      = "ok"
	ResultRefused = "refused"
	ResultFailed  = "failed"
	// ResultRolledBack: a release switched, then went back by itself.
	ResultRolledBack = "rolled_back"
)

// Store keeps the snapshot and the history. The local state directory is the
// embedded implementation; a distributed store can take its place.
type Store interface {
	Load() (*Snapshot, error)
	Save(*Snapshot) error
	Append(Entry) error
	// History returns the last limit entries of a service (all services when
	// service is empty), oldest first; limit <= 0 means all.
	History(service string, limit int) ([]Entry, error)
	Close() error
}
