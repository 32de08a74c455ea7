package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"deploy/plugins"
)

// version is reported to the host in Info.
const version = "1.0.0"

// zmiCheck logs into the Zope management interface of every target. It
// holds no state: everything it needs arrives with each call.
type zmiCheck struct{}

var _ plugins.Checker = (*zmiCheck)(nil)

// Info names the check.
func (*zmiCheck) Info(context.Context) (plugins.Info, error) {
	return plugins.Info{
		Name:        "zmi",
		Kind:        plugins.KindCheck,
		Version:     version,
		Description: "logs into the Zope management interface of each instance and checks that the page renders",
	}, nil
}

// ConfigSchema describes the check's config.
func (*zmiCheck) ConfigSchema(context.Context) (plugins.Schema, error) {
	return plugins.Schema{Attributes: []plugins.Attribute{
		{Name: "user", Type: "string", Required: true, Description: "Zope user to log in as"},
		{Name: "password", Type: "string", Required: true, Description: "that user's password (never shown in messages)"},
		{Name: "path", Type: "string", Description: `page to fetch (default "` + defaultPath + `")`},
		{Name: "expect", Type: "string", Description: `text the page must contain (default "` + defaultExpect + `")`},
		{Name: "host", Type: "string", Description: "Host header to send (default: the instance's address)"},
	}}, nil
}

// Check probes all targets at once, each within requestTimeout and ctx, and
// passes when every one of them renders the page. The error return is kept
// for settings it cannot use; a target that fails is a failed result.
func (*zmiCheck) Check(ctx context.Context, req plugins.CheckRequest) (plugins.CheckResult, error) {
	s, err := parseSettings(req.Config)
	if err != nil {
		return plugins.CheckResult{}, err
	}
	start := time.Now()
	if len(req.Targets) == 0 {
		return plugins.CheckResult{Message: "no targets to check"}, nil
	}
	client := newClient()
	defer client.CloseIdleConnections()
	verdicts := make([]verdict, len(req.Targets))
	var wg sync.WaitGroup
	for i, t := range req.Targets {
		wg.Go(func() { verdicts[i] = probe(ctx, client, s, t) })
	}
	wg.Wait()
	res := summarize(req.Targets, verdicts, s)
	res.Duration = time.Since(start)
	return res, nil
}

// summarize turns the targets' verdicts into one result. The message names
// every failed target, so the operator knows which instance to look at
// without opening the details.
func summarize(targets []plugins.CheckTarget, verdicts []verdict, s settings) plugins.CheckResult {
	res := plugins.CheckResult{OK: true, Details: make(map[string]string, len(targets))}
	var failed []string
	for i, t := range targets {
		msg := redact(verdicts[i].msg, s.password)
		key := t.Label
		if key == "" {
			key = t.Addr
		}
		res.Details[key] = msg
		if !verdicts[i].ok {
			res.OK = false
			failed = append(failed, targetLabel(t)+": "+msg)
		}
	}
	if res.OK {
		res.Message = fmt.Sprintf("ok: %s renders for user %q on %s", s.path, s.user, plural(len(targets), "target"))
	} else {
		res.Message = fmt.Sprintf("%d of %s failed: %s", len(failed), plural(len(targets), "target"), strings.Join(failed, "; "))
	}
	res.Message = redact(res.Message, s.password)
	return res
}

// targetLabel is how the message names a target: by its label and
// address, as "instance 1 (127.0.0.1:8081)".
func targetLabel(t plugins.CheckTarget) string {
	switch {
	case t.Label == "":
		return t.Addr
	case t.Addr == "":
		return t.Label
	}
	return t.Label + " (" + t.Addr + ")"
}

// redact hides the password wherever it shows up. Nothing the check writes
// is meant to contain it; this is the guarantee should a server echo it in
// a Location or the user name happen to equal it.
func redact(msg, password string) string {
	if password == "" {
		return msg
	}
	return strings.ReplaceAll(msg, password, "[redacted]")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
