package orchestrator

import (
	"strings"
	"time"

	"deploy/proxy"
	"deploy/proxy/certs"
	"deploy/state"
)

// ServiceStatus is what is live for a service and how its slots are.
type ServiceStatus struct {
	Service   string    `json:"service"`
	Hosts     []string  `json:"hosts"`
	Default   bool      `json:"default,omitempty"`
	Live      string    `json:"live"`
	Previous  string    `json:"previous"`
	Busy      string    `json:"busy,omitempty"`
	BusySince time.Time `json:"busy_since,omitzero"`
	// Preview is the slot the preview route reaches; "" when none.
	Preview     string             `json:"preview,omitempty"`
	Maintenance *state.Maintenance `json:"maintenance,omitempty"`
	Pause       *PauseStatus       `json:"pause,omitempty"`
	Slots       []SlotStatus       `json:"slots"`
	// Certificates are those of the service's hosts and preview hosts on
	// the TLS listeners; empty without https_listen.
	Certificates []certs.HostStatus `json:"certificates,omitempty"`
	// NextRestart is when the restart block restarts the live slot next.
	NextRestart time.Time   `json:"next_restart,omitzero"`
	Jobs        []JobStatus `json:"jobs,omitempty"`
	// Cache counts the service's cache hits and misses; nil without one.
	Cache *proxy.CacheStats `json:"cache,omitempty"`
}

// PauseStatus says since when a service's requests are held, and how many
// wait now.
type PauseStatus struct {
	Since   time.Time `json:"since"`
	Waiting int       `json:"waiting"`
}

// SlotStatus is the state of one slot.
type SlotStatus struct {
	Slot      string           `json:"slot"`
	Status    string           `json:"status"`
	Live      bool             `json:"live"`
	Release   string           `json:"release,omitempty"`
	Ports     []int            `json:"ports"`
	InFlight  int64            `json:"in_flight"`
	Healthy   bool             `json:"healthy"`
	StartedAt time.Time        `json:"started_at,omitzero"`
	Reason    string           `json:"reason,omitempty"`
	Instances []InstanceStatus `json:"instances,omitempty"`
}

// InstanceStatus is the state of one instance process.
type InstanceStatus struct {
	Index    int  `json:"index"`
	Port     int  `json:"port"`
	PID      int  `json:"pid"`
	Running  bool `json:"running"`
	Adopted  bool `json:"adopted,omitempty"`
	Restarts int  `json:"restarts"`
	// Healthy is the active probes' verdict: an unhealthy instance is out
	// of rotation until it answers again.
	Healthy    bool      `json:"healthy"`
	ProbedAt   time.Time `json:"probed_at,omitzero"`
	ProbeError string    `json:"probe_error,omitempty"`
	LastExit   string    `json:"last_exit,omitempty"`
	// EjectedUntil is set while the proxy keeps the instance out of
	// rotation after connection errors or a burst of 5xx answers.
	EjectedUntil time.Time `json:"ejected_until,omitzero"`
	// Draining is set while a restart keeps the instance out of rotation,
	// and stays set when the restart stopped at it.
	Draining     bool   `json:"draining,omitempty"`
	Requests     uint64 `json:"requests"`
	Responses5xx uint64 `json:"responses_5xx"`
	ConnErrors   uint64 `json:"conn_errors"`
}

// Status reports every service, or the named one.
func (c *Controller) Status(service string) ([]ServiceStatus, error) {
	names := make([]string, 0, len(c.conf().Services))
	if service != "" {
		if _, err := c.service(service); err != nil {
			return nil, err
		}
		names = append(names, service)
	} else {
		for _, sc := range c.conf().Services {
			names = append(names, sc.Name)
		}
	}
	snap := c.view()
	out := make([]ServiceStatus, 0, len(names))
	for _, name := range names {
		out = append(out, c.serviceStatus(c.serviceMap()[name], snap.Service(name)))
	}
	return out, nil
}

func (c *Controller) serviceStatus(s *service, st *state.Service) ServiceStatus {
	ss := ServiceStatus{Service: s.conf().Name, Hosts: s.conf().Hosts, Default: s.conf().Default, Live: st.Live, Previous: st.Previous,
		Preview: c.proxy.Preview(s.conf().Name), Maintenance: st.Maintenance, Certificates: c.certificateStatus(s.conf())}
	ss.Busy, ss.BusySince = s.busy.current()
	ss.NextRestart = c.nextRestart(s.conf().Name)
	ss.Jobs = s.jobStatus()
	if cs, ok := c.proxy.CacheStats(s.conf().Name); ok {
		ss.Cache = &cs
	}
	if since, waiting, ok := c.proxy.Paused(s.conf().Name); ok {
		ss.Pause = &PauseStatus{Since: since, Waiting: waiting}
	}
	for _, slot := range s.conf().Slots {
		sl := SlotStatus{Slot: slot.Name, Status: state.SlotStopped, Live: st.Live == slot.Name, Ports: slot.Ports(s.conf().Instances)}
		if rec := st.Slots[slot.Name]; rec != nil {
			sl.Status, sl.Release, sl.StartedAt, sl.Reason = rec.Status, rec.Release, rec.StartedAt, rec.Reason
		}
		if run := s.run(slot.Name); run != nil {
			sl.InFlight = c.proxy.InFlight(s.conf().Name, slot.Name)
			sl.Instances, sl.Healthy = run.instanceStatus(c.proxy.InstanceStats(s.conf().Name, slot.Name))
		}
		ss.Slots = append(ss.Slots, sl)
	}
	return ss
}

// instanceStatus reports each instance; the slot is healthy when all are.
func (r *slotRun) instanceStatus(traffic []proxy.InstanceStats) ([]InstanceStatus, bool) {
	out := make([]InstanceStatus, len(r.instances))
	healthy := true
	for i, in := range r.instances {
		st := in.Status()
		is := InstanceStatus{
			Index: in.Spec().Index, Port: in.Spec().Port, PID: st.PID, Running: st.Running,
			Adopted: st.Adopted, Restarts: st.Restarts, LastExit: st.LastExit,
		}
		if p := r.health[i].Load(); p != nil {
			is.Healthy, is.ProbedAt, is.ProbeError = p.healthy, p.at, p.err
		}
		for _, t := range traffic {
			if t.Addr == r.addr(i) {
				is.EjectedUntil, is.Requests, is.Responses5xx, is.ConnErrors = t.EjectedUntil, t.Requests, t.Responses5xx, t.ConnErrors
				is.Draining = t.Draining
			}
		}
		healthy = healthy && is.Healthy && is.Running
		out[i] = is
	}
	return out, healthy
}

// History returns the last limit entries of a service's history.
func (c *Controller) History(service string, limit int) ([]state.Entry, error) {
	if name, ok := strings.CutPrefix(service, "zeo:"); ok {
		if _, err := c.zeoConfig(name); err != nil {
			return nil, err
		}
	} else if service != "" {
		if _, err := c.service(service); err != nil {
			return nil, err
		}
	}
	return c.store.History(service, limit)
}
