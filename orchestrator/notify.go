package orchestrator

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"deploy/config"
	"deploy/state"
)

// Event is what notifiers are told, as one JSON object.
type Event struct {
	Event   string    `json:"event"` // one of config.NotifyEvents
	Service string    `json:"service"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor,omitempty"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Release string    `json:"release,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Result  string    `json:"result"`
	Error   string    `json:"error,omitempty"`
	Checks  string    `json:"checks,omitempty"`
}

// notify tells the service's notifiers about ev in the background. A
// notifier that fails never fails the deployment it reports on; its failure
// goes to the controller's log and the history.
func (c *Controller) notify(ev Event) {
	s, ok := c.serviceMap()[ev.Service]
	if !ok {
		return
	}
	ev.Time = time.Now().UTC()
	body, err := json.Marshal(ev)
	if err != nil {
		c.log.Error("encode notification", "event", ev.Event, "err", err)
		return
	}
	for _, n := range s.conf().Notify {
		if !slices.Contains(n.Events, ev.Event) {
			continue
		}
		go func() {
			started := time.Now()
			err := c.deliver(n, body)
			if err == nil {
				return
			}
			c.log.Warn("notification failed", "service", ev.Service, "notify", n.Name, "event", ev.Event, "err", err)
			c.record(state.Entry{Actor: ev.Actor, Op: "notify", Service: ev.Service, Detail: n.Name + " (" + ev.Event + ")"},
				started, errorf(KindFailed, "", "notify %s: %v", n.Name, err))
		}()
	}
}

// deliver sends one notification, bounded by the notifier's timeout.
func (c *Controller) deliver(n config.Notify, body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.Timeout)
	defer cancel()
	no, settings, err := c.notifierFor(ctx, n)
	if err != nil {
		return err
	}
	return no.Notify(ctx, body, settings)
}
