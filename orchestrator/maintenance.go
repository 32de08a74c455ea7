package orchestrator

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"time"

	"deploy/config"
	"deploy/proxy"
	"deploy/state"
)

// defaultMaintenanceMessage is what visitors read when no message is given.
const defaultMaintenanceMessage = "The site is being updated. Please try again in a few minutes."

// builtinMaintenancePage serves services that configure no page of their own.
var builtinMaintenancePage = template.Must(template.New("maintenance").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Maintenance</title></head>
<body><h1>Down for maintenance</h1><p>{{.Message}}</p></body></html>
`))

// MaintenanceRequest turns a service's maintenance mode on or off.
type MaintenanceRequest struct {
	Service string `json:"-"`
	On      bool   `json:"on"`
	Message string `json:"message,omitempty"`
	Actor   string `json:"-"`
}

// MaintenanceResult says what visitors get now.
type MaintenanceResult struct {
	Service string `json:"service"`
	On      bool   `json:"on"`
	Message string `json:"message,omitempty"`
	// Unchanged is true when the service already was in that mode.
	Unchanged bool `json:"unchanged,omitempty"`
}

// Maintenance turns maintenance mode on (visitors get the maintenance page
// with a 503 and Retry-After; the preview route and the proxy's health path
// keep working) or off. The mode is saved, so it survives a restart.
func (c *Controller) Maintenance(ctx context.Context, req MaintenanceRequest) (res *MaintenanceResult, err error) {
	started := time.Now()
	op := "maintenance off"
	if req.On {
		op = "maintenance on"
	}
	defer func() {
		c.record(state.Entry{Actor: req.Actor, Op: op, Service: req.Service, Reason: req.Message}, started, err)
	}()
	s, err := c.service(req.Service)
	if err != nil {
		return nil, err
	}
	if !req.On && req.Message != "" {
		return nil, errorf(KindInvalid, "give --message with maintenance on only", "a message makes no sense when turning maintenance off")
	}
	release, err := s.busy.acquire(s.conf().Name, op, req.Actor)
	if err != nil {
		return nil, err
	}
	defer release()
	return c.setMaintenance(s, req.On, req.Message, req.Actor)
}

// setMaintenance saves the mode, then applies it to the proxy; callers hold
// the busy lock.
func (c *Controller) setMaintenance(s *service, on bool, message, actor string) (*MaintenanceResult, error) {
	name := s.conf().Name
	res := &MaintenanceResult{Service: name, On: on}
	before := c.view().Service(name).Maintenance
	if (before != nil) == on && (!on || before.Message == message) {
		res.Unchanged = true
		if on {
			res.Message = before.Message
		}
		return res, nil
	}
	page := proxy.Page{}
	if on {
		if message == "" {
			message = defaultMaintenanceMessage
		}
		var err error
		if page, err = maintenancePage(s.conf(), message); err != nil {
			return nil, err
		}
		res.Message = message
	}
	err := c.update(func(snap *state.Snapshot) {
		svc := snap.Service(name)
		svc.Maintenance = nil
		if on {
			svc.Maintenance = &state.Maintenance{Message: message, Since: time.Now().UTC(), Actor: actor}
		}
	})
	if err != nil {
		return nil, errorf(KindFailed, "nothing was changed", "%s: %v", name, err)
	}
	if err := c.proxy.SetMaintenance(name, on, page); err != nil {
		return nil, errorf(KindFailed, "", "set maintenance of %s: %v", name, err)
	}
	c.log.Info("maintenance", "service", name, "on", on, "message", message)
	return res, nil
}

// maintenancePage renders the service's page (or the built-in one) with the
// message.
func maintenancePage(sc *config.Service, message string) (proxy.Page, error) {
	m := sc.Maintenance
	tmpl := builtinMaintenancePage
	if m.Page != nil {
		var err error
		if tmpl, err = template.New("maintenance").Parse(string(m.Page)); err != nil {
			return proxy.Page{}, errorf(KindFailed, "fix the page and reload", "maintenance page %s: %v", m.PageFile, err)
		}
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, struct{ Message string }{message}); err != nil {
		return proxy.Page{}, errorf(KindFailed, "fix the page", "render maintenance page of %s: %v", sc.Name, err)
	}
	return proxy.Page{Body: buf.Bytes(), ContentType: "text/html; charset=utf-8", RetryAfter: m.RetryAfter}, nil
}

// restoreMaintenance applies a saved maintenance mode after a restart.
func (c *Controller) restoreMaintenance(s *service, m *state.Maintenance) error {
	page, err := maintenancePage(s.conf(), m.Message)
	if err != nil {
		return err
	}
	if err := c.proxy.SetMaintenance(s.conf().Name, true, page); err != nil {
		return fmt.Errorf("restore maintenance of %s: %w", s.conf().Name, err)
	}
	return nil
}
