package web

import (
	"fmt"
	"slices"
	"time"

	"deploy/orchestrator"
	"deploy/state"
)

// timeFormat is how the page writes a moment: the controller's local time,
// as deploy history prints it.
const timeFormat = time.DateTime

// view is what the page shows and what /status.json returns. The *Text
// fields are the words the page displays, made here once so that the
// server-rendered page and the script's updates read the same.
type view struct {
	Generated     time.Time     `json:"generated"`
	GeneratedText string        `json:"generated_text"`
	Actions       bool          `json:"actions"`
	Error         string        `json:"error,omitempty"`
	Services      []serviceView `json:"services"`
}

// serviceView is a service's status with the slots' traffic and its latest
// history, newest first.
type serviceView struct {
	orchestrator.ServiceStatus
	BusyText        string        `json:"busy_text,omitempty"`
	MaintenanceText string        `json:"maintenance_text,omitempty"`
	PauseText       string        `json:"pause_text,omitempty"`
	DutiesText      string        `json:"duties_text,omitempty"`
	Slots           []slotView    `json:"slots"`
	History         []historyView `json:"history"`
	HistoryError    string        `json:"history_error,omitempty"`
}

type slotView struct {
	orchestrator.SlotStatus
	Instances []instanceView `json:"instances,omitempty"`
	// Rate is nil until two samples of a running slot were taken.
	Rate *rate `json:"rate,omitempty"`
	// Switchable says the page offers a switch to the slot: it runs and
	// is not live.
	Switchable    bool   `json:"switchable"`
	HealthText    string `json:"health_text"`
	RateText      string `json:"rate_text"`
	ErrorRateText string `json:"error_rate_text"`
}

type instanceView struct {
	orchestrator.InstanceStatus
	Ejected     bool   `json:"ejected"`
	HealthText  string `json:"health_text"`
	EjectedText string `json:"ejected_text"`
}

type historyView struct {
	state.Entry
	TimeText string `json:"time_text"`
	// MoveText is "from → to" for a switch, the slot for an operation on
	// one slot.
	MoveText string `json:"move_text"`
}

// snapshot gathers the page's data now.
func (s *Server) snapshot(now time.Time) view {
	v := view{Generated: now, GeneratedText: now.Local().Format(timeFormat + " MST"), Actions: s.actionsOn(), Services: []serviceView{}}
	st, err := s.ctrl.Status("")
	if err != nil {
		v.Error = fmt.Sprintf("cannot read the controller's status: %v", err)
		return v
	}
	for _, svc := range st {
		v.Services = append(v.Services, s.serviceView(svc, now))
	}
	return v
}

func (s *Server) serviceView(svc orchestrator.ServiceStatus, now time.Time) serviceView {
	sv := serviceView{ServiceStatus: svc, Slots: []slotView{}, History: []historyView{}}
	if svc.Busy != "" {
		sv.BusyText = fmt.Sprintf("busy: %s running since %s", svc.Busy, clock(svc.BusySince))
	}
	if m := svc.Maintenance; m != nil {
		sv.MaintenanceText = fmt.Sprintf("maintenance since %s by %s: visitors get the maintenance page", clock(m.Since), m.Actor)
		if m.Message != "" {
			sv.MaintenanceText += fmt.Sprintf(" (%q)", m.Message)
		}
	}
	if p := svc.Pause; p != nil {
		sv.PauseText = fmt.Sprintf("paused since %s: %d requests held until deploy resume %s", clock(p.Since), p.Waiting, svc.Service)
	}
	sv.DutiesText = dutiesText(svc)
	for _, sl := range svc.Slots {
		sv.Slots = append(sv.Slots, s.slotView(svc.Service, sl, now))
	}
	entries, err := s.ctrl.History(svc.Service, historyLen)
	if err != nil {
		sv.HistoryError = fmt.Sprintf("cannot read the history: %v", err)
	}
	for _, e := range slices.Backward(entries) {
		sv.History = append(sv.History, historyView{Entry: e, TimeText: clock(e.Time), MoveText: move(e)})
	}
	return sv
}

func (s *Server) slotView(service string, sl orchestrator.SlotStatus, now time.Time) slotView {
	v := slotView{SlotStatus: sl, Switchable: sl.Status == state.SlotRunning && !sl.Live,
		HealthText: "–", RateText: "–", ErrorRateText: "–"}
	for _, in := range sl.Instances {
		iv := instanceView{InstanceStatus: in, Ejected: in.EjectedUntil.After(now), HealthText: "healthy", EjectedText: "–"}
		switch {
		case !in.Running:
			iv.HealthText = "not running"
		case !in.Healthy && in.ProbeError != "":
			iv.HealthText = "unhealthy: " + in.ProbeError
		case !in.Healthy:
			iv.HealthText = "unhealthy"
		}
		if iv.Ejected {
			iv.EjectedText = "until " + in.EjectedUntil.Local().Format(time.TimeOnly)
		}
		v.Instances = append(v.Instances, iv)
	}
	if len(sl.Instances) > 0 {
		v.HealthText = "unhealthy"
		if sl.Healthy {
			v.HealthText = "healthy"
		}
		if rt, ok := s.rates.of(service, sl.Slot); ok {
			v.Rate = &rt
			v.RateText = fmt.Sprintf("%.1f", rt.RequestsPerSecond)
			v.ErrorRateText = fmt.Sprintf("%.1f %%", 100*rt.ErrorRate)
		}
	}
	return v
}

func move(e state.Entry) string {
	switch {
	case e.From != "" || e.To != "":
		return orDash(e.From) + " → " + orDash(e.To)
	default:
		return orDash(e.Slot)
	}
}

func clock(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Local().Format(timeFormat)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// HasInstances says whether any slot of the service has instances.
func (v serviceView) HasInstances() bool {
	for _, sl := range v.Slots {
		if len(sl.Instances) > 0 {
			return true
		}
	}
	return false
}

// healthClass is the style of a health word; app.js has the same rule.
func healthClass(text string) string {
	switch text {
	case "healthy":
		return "health-ok"
	case "–":
		return "health-none"
	default:
		return "health-bad"
	}
}
