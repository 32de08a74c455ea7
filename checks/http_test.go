package checks

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"deploy/config"
)

func TestHTTP_StatusIsJudgedAgainstRangesAndLists(t *testing.T) {
	t.Parallel()
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(strings.TrimPrefix(r.URL.Path, "/"), &code)
		w.WriteHeader(code)
	})
	ranges := []config.StatusRange{{Lo: 200, Hi: 399}}
	list := []config.StatusRange{{Lo: 200, Hi: 200}, {Lo: 301, Hi: 301}}
	for _, tc := range []struct {
		path   string
		status []config.StatusRange
		fail   string
	}{
		{"/204", nil, ""}, // default 200-399
		{"/399", ranges, ""},
		{"/500", nil, "status 500, want 200-399"},
		{"/404", ranges, "status 404, want 200-399"},
		{"/301", list, ""},
		{"/302", list, "status 302, want 200, 301"},
		{"/503", []config.StatusRange{{Lo: 500, Hi: 599}, {Lo: 200, Hi: 200}}, ""},
	} {
		r := Run(context.Background(), httpCheck(config.HTTPCheck{Path: tc.path, Status: tc.status}), testTarget(addr))
		want := tc.path[1:]
		if fmt.Sprint(r.Status) != want {
			t.Errorf("%s: Status = %d, want %s", tc.path, r.Status, want)
		}
		if tc.fail == "" {
			wantOK(t, r)
		} else {
			wantFailure(t, r, tc.fail)
		}
	}
}

func TestHTTP_BodyMustContainTextAndMatchRegex(t *testing.T) {
	t.Parallel()
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!DOCTYPE html><title>Welcome to Plone</title>")
	})
	tgt := testTarget(addr)
	wantOK(t, Run(context.Background(), httpCheck(config.HTTPCheck{BodyContains: "Welcome"}), tgt))
	wantFailure(t, Run(context.Background(), httpCheck(config.HTTPCheck{BodyContains: "Goodbye"}), tgt),
		`body does not contain "Goodbye"`)
	wantOK(t, Run(context.Background(), httpCheck(config.HTTPCheck{BodyRegex: regexp.MustCompile(`<title>[^<]*Plone</title>`)}), tgt))
	wantFailure(t, Run(context.Background(), httpCheck(config.HTTPCheck{BodyRegex: regexp.MustCompile(`^<html`)}), tgt),
		`body does not match ^<html`)
}

func TestHTTP_HeadersMustMatchTheirRegex(t *testing.T) {
	t.Parallel()
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	})
	tgt := testTarget(addr)
	check := func(h map[string]*regexp.Regexp) Result {
		return Run(context.Background(), httpCheck(config.HTTPCheck{Headers: h}), tgt)
	}
	wantOK(t, check(map[string]*regexp.Regexp{
		"Content-Type":    regexp.MustCompile(`^text/plain`),
		"X-Frame-Options": regexp.MustCompile(`^(DENY|SAMEORIGIN)$`),
	}))
	wantFailure(t, check(map[string]*regexp.Regexp{"Content-Type": regexp.MustCompile(`^text/html`)}),
		`header Content-Type is "text/plain", want match of ^text/html`)
	wantFailure(t, check(map[string]*regexp.Regexp{"Strict-Transport-Security": regexp.MustCompile(`.*`)}),
		`header Strict-Transport-Security is missing, want match of .*`)
}

func TestHTTP_ASlowAnswerFailsMaxLatency(t *testing.T) {
	t.Parallel()
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
	})
	tgt := testTarget(addr)
	wantOK(t, Run(context.Background(), httpCheck(config.HTTPCheck{MaxLatency: time.Minute}), tgt))
	r := Run(context.Background(), httpCheck(config.HTTPCheck{MaxLatency: time.Millisecond}), tgt)
	if r.OK || !strings.HasPrefix(r.Message, "took ") || !strings.HasSuffix(r.Message, ", limit 1ms") {
		t.Errorf("got %+v, want a failure like \"took 30ms, limit 1ms\"", r)
	}
}

func TestHTTP_SendsTheMethodHostAndExtraHeaders(t *testing.T) {
	t.Parallel()
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method "+r.Method, http.StatusMethodNotAllowed)
			return
		}
		if r.Header.Get("X-Deploy-Preview") != "s3cret" {
			http.Error(w, "no token", http.StatusForbidden)
			return
		}
		io.WriteString(w, "host="+r.Host)
	})
	c := httpCheck(config.HTTPCheck{Method: http.MethodPost, Host: "www.example.org", BodyContains: "host=www.example.org"})
	tgt := testTarget(addr)
	tgt.Header = http.Header{"X-Deploy-Preview": {"s3cret"}}
	wantOK(t, Run(context.Background(), c, tgt))

	// The target's Host (the preview host, say) wins over the check's.
	tgt.Host = "preview.example.org"
	c.HTTP.BodyContains = "host=preview.example.org"
	wantOK(t, Run(context.Background(), c, tgt))

	tgt.Header = nil
	wantFailure(t, Run(context.Background(), c, tgt), "status 403, want 200-399")
	c.HTTP.Method = ""
	wantFailure(t, Run(context.Background(), c, tgt), "status 405, want 200-399")
}

func TestHTTP_RedirectsAreJudgedNotFollowed(t *testing.T) {
	t.Parallel()
	var followed atomic.Bool
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Store(true)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
	})
	tgt := testTarget(addr)
	wantFailure(t, Run(context.Background(), httpCheck(config.HTTPCheck{Status: []config.StatusRange{{Lo: 200, Hi: 200}}}), tgt),
		"status 301, want 200")
	r := Run(context.Background(), httpCheck(config.HTTPCheck{Status: []config.StatusRange{{Lo: 301, Hi: 301}}}), tgt)
	wantOK(t, r)
	if r.Status != 301 || followed.Load() {
		t.Errorf("Status = %d, followed = %v; want 301 and not followed", r.Status, followed.Load())
	}
}

func TestHTTP_IgnoresProxySettingsOfTheEnvironment(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("http_proxy", "http://127.0.0.1:1")
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {})
	wantOK(t, Run(context.Background(), httpCheck(config.HTTPCheck{Host: "www.example.org"}), testTarget(addr)))
}

func TestHTTP_ARefusedConnectionNamesTheAddress(t *testing.T) {
	t.Parallel()
	addr := closedAddr(t)
	r := Run(context.Background(), httpCheck(config.HTTPCheck{}), testTarget(addr))
	wantFailure(t, r, "connect "+addr+": connection refused")
	if r.Kind != "http" || r.Check != "home" || r.Target != "instance 1" || r.Via != "direct" || r.Attempts != 1 {
		t.Errorf("result names = %+v", r)
	}
}
