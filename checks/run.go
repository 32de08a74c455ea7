// Package checks runs a service's smoke checks and warm-up against the
// instances of a slot, so that a slot is only switched to once it answers
// the way the configuration says it must. It knows nothing of the proxy or
// the orchestrator: a caller says where to connect (a Target) and gets back
// plain results it can print, store or judge.
package checks

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"deploy/config"
)

// Defaults for a Check or WarmUp that arrives without them (config fills them
// in, but a zero value must not turn into "no time at all"), and the limits
// that keep a misbehaving instance from flooding memory or a report.
const (
	defaultTimeout       = 5 * time.Second
	defaultWarmUpRounds  = 3
	defaultWarmUpRatio   = 1.5
	defaultWarmUpTimeout = time.Minute

	maxBody          = 1 << 20 // bytes of an HTTP body that are read and judged
	maxOutput        = 4 << 10 // bytes of a command's output that are kept
	outputLines      = 5       // non-empty output lines quoted in a failure
	maxLineLen       = 200     // bytes of one quoted output line
	commandWaitDelay = time.Second
	maxListedFailed  = 5 // failures Summary spells out before "and N more"
)

// Target is where one check runs.
type Target struct {
	Label  string      // how reports name it: "instance 1" or "preview"
	Via    string      // "direct" (the instance's own port) or "proxy" (the proxy's preview route)
	Addr   string      // host:port the HTTP/TCP check connects to (dial this, whatever the Host header says)
	Host   string      // Host header to send; "" means the check's own HTTPCheck.Host
	Header http.Header // extra request headers (e.g. X-Deploy-Preview token); may be nil
	// TLS connects to Addr with TLS, the Host as the server name: the
	// proxy's HTTPS listener, when its plain one only redirects there.
	TLS bool
	Dir string   // command checks: working directory
	Env []string // command checks: full environment (KEY=value); nil inherits the controller's
	// Storages are what a zeo check asks the ZEO server at Addr for.
	Storages []string
	// Call runs a plugin check (config.Check.Plugin): the caller knows the
	// plugin, this package only times, retries and reports it.
	Call func(ctx context.Context) (ok bool, message string)
}

// Result is the outcome of one check on one target.
type Result struct {
	Check    string  `json:"check"`
	Kind     string  `json:"kind"`   // "http", "tcp", "zeo", "command" or "plugin"
	Target   string  `json:"target"` // Target.Label
	Via      string  `json:"via"`
	OK       bool    `json:"ok"`
	Attempts int     `json:"attempts"`
	TookMS   float64 `json:"took_ms"`          // of the last attempt
	Status   int     `json:"status,omitempty"` // HTTP status seen, if any
	// Message says what was seen when it failed ("status 500, want 200-399",
	// "timed out after 5s", "exit status 3: <last lines of output>") and
	// starts with "ok" when it passed.
	Message string `json:"message"`
}

// outcome is what one attempt of one kind of check saw.
type outcome struct {
	ok     bool
	status int    // HTTP status, 0 when none was seen
	msg    string // what passed or what failed
	output string // a command's last output lines, kept for a timeout message
}

// attempt runs one try of a check; ctx carries the per-attempt timeout.
type attempt func(ctx context.Context) outcome

// Run runs check c against t: up to 1+c.Retries attempts, each bounded by
// c.Timeout and c.Interval apart, and returns the last attempt's result. It
// stops at the first passing attempt, and early when ctx ends, because a
// check nobody waits for any more only delays the next step.
func Run(ctx context.Context, c config.Check, t Target) Result {
	base := Result{Check: c.Name, Target: t.Label, Via: t.Via}
	var try attempt
	switch {
	case c.HTTP != nil:
		base.Kind = "http"
		client := newClient(t.Addr, false, t.TLS)
		defer client.CloseIdleConnections()
		try = func(ctx context.Context) outcome { return checkHTTP(ctx, client, c.HTTP, t) }
	case c.TCP:
		base.Kind = "tcp"
		try = func(ctx context.Context) outcome { return checkTCP(ctx, t.Addr) }
	case c.Plugin != "":
		base.Kind = "plugin"
		if t.Call == nil {
			base.Message = "plugin check without a plugin to call"
			return base
		}
		try = func(ctx context.Context) outcome {
			ok, msg := t.Call(ctx)
			return outcome{ok: ok, msg: msg}
		}
	case c.ZEO:
		base.Kind = "zeo"
		try = func(ctx context.Context) outcome { return checkZEO(ctx, t.Addr, t.Storages) }
	case len(c.Command) > 0:
		base.Kind = "command"
		try = func(ctx context.Context) outcome { return checkCommand(ctx, c.Command, t) }
	default:
		base.Message = "nothing to run: the check has no http, tcp, zeo or command"
		return base
	}

	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	retries := max(c.Retries, 0)
	for n := 1; ; n++ {
		r := once(ctx, timeout, try)
		r.Check, r.Kind, r.Target, r.Via, r.Attempts = base.Check, base.Kind, base.Target, base.Via, n
		if r.OK || n > retries || !pause(ctx, c.Interval) {
			return r
		}
	}
}

// once runs one attempt under its own timeout. A failure caused by the
// deadline is reported as a timeout rather than as whatever low-level error
// the cut-off produced ("i/o timeout", "signal: killed"), which would send an
// operator looking in the wrong place.
func once(ctx context.Context, timeout time.Duration, try attempt) Result {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	o := try(actx)
	r := Result{OK: o.ok, Status: o.status, Message: o.msg, TookMS: ms(time.Since(start))}
	if !o.ok && actx.Err() != nil {
		if ctx.Err() != nil {
			r.Message = "stopped: " + context.Cause(ctx).Error()
		} else {
			r.Message = "timed out after " + timeout.String()
		}
		if o.output != "" {
			r.Message += ": " + o.output
		}
	}
	return r
}

// pause waits d before the next attempt and reports false when ctx ended
// first (or had already ended).
func pause(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ms turns a duration into the fractional milliseconds reports carry.
func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// roundDur shortens a measured duration for a message: "52ms", not
// "52.318441ms".
func roundDur(d time.Duration) time.Duration {
	if d >= time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

// fmtMS formats fractional milliseconds like a duration ("1.2ms", "2.35s").
func fmtMS(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2fs", v/1000)
	}
	return fmt.Sprintf("%.1fms", v)
}
