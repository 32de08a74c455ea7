package orchestrator

import "time"

// JobStatus says where one process of a singleton job runs.
type JobStatus struct {
	Job      string `json:"job"`
	Slot     string `json:"slot"`
	Release  string `json:"release,omitempty"`
	PID      int    `json:"pid"`
	Running  bool   `json:"running"`
	Restarts int    `json:"restarts"`
	// DrainingSince is set while the job hands over to the live slot's.
	DrainingSince time.Time `json:"draining_since,omitzero"`
	Failed        string    `json:"failed,omitempty"`
}

// jobStatus reports the service's job processes, live ones first.
func (s *service) jobStatus() []JobStatus {
	s.jobsMu.Lock()
	defer s.jobsMu.Unlock()
	var live, draining []JobStatus
	for _, jr := range s.jobs {
		st := jr.inst.Status()
		js := JobStatus{Job: jr.cfg.Name, Slot: jr.slot, Release: jr.release, PID: st.PID, Running: st.Running,
			Restarts: st.Restarts, Failed: st.FailReason}
		if jr.draining {
			js.DrainingSince = jr.drainSince
			draining = append(draining, js)
			continue
		}
		live = append(live, js)
	}
	return append(live, draining...)
}
