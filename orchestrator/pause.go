package orchestrator

import (
	"context"
	"fmt"
	"time"

	"deploy/state"
)

// Bounds of a pause: requests are held in the proxy, so they must not wait
// longer than a client or a front load balancer would.
const (
	defaultPauseMax = 30 * time.Second
	maxPauseMax     = 10 * time.Minute
)

// PauseRequest holds a service's new requests until Resume.
type PauseRequest struct {
	Service string `json:"-"`
	// Max is how long one request may be held before it gets a 503;
	// default 30s.
	Max   Duration `json:"max,omitempty"`
	Actor string   `json:"-"`
}

// ResumeRequest releases the requests a pause holds.
type ResumeRequest struct {
	Service string `json:"-"`
	Actor   string `json:"-"`
}

// PauseResult says what the pause did.
type PauseResult struct {
	Service  string   `json:"service"`
	Paused   bool     `json:"paused"`
	Max      Duration `json:"max,omitempty"`
	Released int      `json:"released,omitempty"`
}

// Pause holds the service's new requests in the proxy, in arrival order,
// each for at most req.Max (then it gets a 503), until Resume. Requests in
// flight finish; the preview route is not held.
func (c *Controller) Pause(_ context.Context, req PauseRequest) (res *PauseResult, err error) {
	started := time.Now()
	max := time.Duration(req.Max)
	if max == 0 {
		max = defaultPauseMax
	}
	defer func() {
		c.record(state.Entry{Actor: req.Actor, Op: "pause", Service: req.Service, Detail: "max " + max.String()}, started, err)
	}()
	s, err := c.service(req.Service)
	if err != nil {
		return nil, err
	}
	if max < 0 || max > maxPauseMax {
		return nil, errorf(KindInvalid, fmt.Sprintf("give a --max from 1s to %s", maxPauseMax), "pause max %s is out of range", max)
	}
	if err := c.proxy.Pause(s.conf().Name, max); err != nil {
		return nil, errorf(KindRefused, fmt.Sprintf("deploy resume %s releases it", s.conf().Name), "cannot pause %s: %v", s.conf().Name, err)
	}
	c.log.Info("pause", "service", s.conf().Name, "max", max)
	return &PauseResult{Service: s.conf().Name, Paused: true, Max: Duration(max)}, nil
}

// Resume releases the held requests in arrival order; they go to the slot
// live now.
func (c *Controller) Resume(_ context.Context, req ResumeRequest) (res *PauseResult, err error) {
	started := time.Now()
	entry := state.Entry{Actor: req.Actor, Op: "resume", Service: req.Service}
	defer func() { c.record(entry, started, err) }()
	s, err := c.service(req.Service)
	if err != nil {
		return nil, err
	}
	n, err := c.proxy.Resume(s.conf().Name)
	if err != nil {
		return nil, errorf(KindRefused, "", "cannot resume %s: %v", s.conf().Name, err)
	}
	entry.Detail = fmt.Sprintf("released %d held requests", n)
	c.log.Info("resume", "service", s.conf().Name, "released", n)
	return &PauseResult{Service: s.conf().Name, Released: n}, nil
}
