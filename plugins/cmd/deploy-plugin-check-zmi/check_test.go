package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"deploy/plugins"
)

const (
	testUser     = "admin"
	testPassword = "s3cret-Pa55"
	zmiPage      = "<html><title>Zope on http://localhost:8080</title><body>Control_Panel</body></html>"
)

// testZope starts a server that, like Zope, answers /manage_main with page
// to testUser with testPassword and with 401 to anyone else, and returns its
// address.
func testZope(t *testing.T, page string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPassword {
			w.Header().Set("WWW-Authenticate", `basic realm="Zope"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/manage_main" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, page)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func login(user, password string) map[string]any {
	return map[string]any{"user": user, "password": password}
}

func runCheck(t *testing.T, cfg map[string]any, addrs ...string) plugins.CheckResult {
	t.Helper()
	req := plugins.CheckRequest{Service: "www", Slot: "blue", Config: cfg}
	for i, a := range addrs {
		req.Targets = append(req.Targets, plugins.CheckTarget{Label: fmt.Sprintf("instance %d", i+1), Addr: a})
	}
	res, err := (&zmiCheck{}).Check(context.Background(), req)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return res
}

// wantNoPassword fails the test if the password appears anywhere the
// operator could see it.
func wantNoPassword(t *testing.T, res plugins.CheckResult, password string) {
	t.Helper()
	if strings.Contains(res.Message, password) {
		t.Errorf("message shows the password: %q", res.Message)
	}
	for k, v := range res.Details {
		if strings.Contains(k+v, password) {
			t.Errorf("details show the password: %q: %q", k, v)
		}
	}
}

func TestCheck_PassesWhenEveryInstanceRendersTheManagementPage(t *testing.T) {
	t.Parallel()
	a, b := testZope(t, zmiPage), testZope(t, zmiPage)
	res := runCheck(t, login(testUser, testPassword), a, b)
	if !res.OK {
		t.Fatalf("want OK, got %+v", res)
	}
	if want := `ok: /manage_main renders for user "admin" on 2 targets`; res.Message != want {
		t.Errorf("message = %q, want %q", res.Message, want)
	}
	if res.Details["instance 1"] != "ok: status 200" || res.Details["instance 2"] != "ok: status 200" || len(res.Details) != 2 {
		t.Errorf("details = %v", res.Details)
	}
	if res.Duration <= 0 {
		t.Errorf("duration = %v, want it measured", res.Duration)
	}
	wantNoPassword(t, res, testPassword)
}

func TestCheck_FailsWithLoginRefusedWhenThePasswordIsWrong(t *testing.T) {
	t.Parallel()
	addr := testZope(t, zmiPage)
	res := runCheck(t, login(testUser, "wrong-password"), addr)
	if res.OK {
		t.Fatalf("want failure, got %+v", res)
	}
	want := fmt.Sprintf(`1 of 1 target failed: instance 1 (%s): login refused for user "admin" (status 401)`, addr)
	if res.Message != want {
		t.Errorf("message = %q\nwant      %q", res.Message, want)
	}
	wantNoPassword(t, res, "wrong-password")
}

func TestCheck_FailsWhenThePageLacksTheExpectedText(t *testing.T) {
	t.Parallel()
	addr := testZope(t, "<html>Site error</html>")
	res := runCheck(t, login(testUser, testPassword), addr)
	if res.OK {
		t.Fatalf("want failure, got %+v", res)
	}
	if want := `status 200, but the page does not contain "Zope"`; res.Details["instance 1"] != want {
		t.Errorf("details = %q, want %q", res.Details["instance 1"], want)
	}

	cfg := login(testUser, testPassword)
	cfg["expect"] = "Control_Panel"
	if res := runCheck(t, cfg, testZope(t, zmiPage)); !res.OK {
		t.Errorf("expect = Control_Panel: want OK, got %+v", res)
	}
}

func TestCheck_OnlyTheFirstMebibyteIsSearched(t *testing.T) {
	t.Parallel()
	addr := testZope(t, strings.Repeat("x", maxBody)+"Zope")
	res := runCheck(t, login(testUser, testPassword), addr)
	if want := `status 200, but the page does not contain "Zope" in its first 1 MiB`; res.OK || res.Details["instance 1"] != want {
		t.Errorf("got %+v, want failure %q", res, want)
	}
}

func TestCheck_FailsWhenTheServerIsDownAndNamesOnlyTheFailedTarget(t *testing.T) {
	t.Parallel()
	up, down := testZope(t, zmiPage), deadAddr(t)
	res := runCheck(t, login(testUser, testPassword), up, down)
	if res.OK {
		t.Fatalf("want failure, got %+v", res)
	}
	want := fmt.Sprintf("1 of 2 targets failed: instance 2 (%s): connect %s: connection refused", down, down)
	if res.Message != want {
		t.Errorf("message = %q\nwant      %q", res.Message, want)
	}
	if res.Details["instance 1"] != "ok: status 200" {
		t.Errorf("details of the live instance = %q", res.Details["instance 1"])
	}
}

func TestCheck_SendsTheConfiguredHostAndPathAndFollowsNoRedirect(t *testing.T) {
	t.Parallel()
	var gotHost, gotPath atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHost.Store(r.Host)
		gotPath.Store(r.URL.RequestURI())
		http.Redirect(w, r, "http://www.example.org/login_form", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	cfg := login(testUser, testPassword)
	cfg["host"] = "www.example.org"
	cfg["path"] = "Plone/manage_main?x=1"
	res := runCheck(t, cfg, srv.Listener.Addr().String())
	if gotHost.Load() != "www.example.org" || gotPath.Load() != "/Plone/manage_main?x=1" {
		t.Errorf("request went to Host %v, path %v", gotHost.Load(), gotPath.Load())
	}
	if want := "status 302 (redirect to http://www.example.org/login_form), want 200"; res.OK || res.Details["instance 1"] != want {
		t.Errorf("got %+v, want failure %q", res, want)
	}
}

func TestCheck_AHungInstanceIsBoundedByTheContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req := plugins.CheckRequest{Config: login(testUser, testPassword),
		Targets: []plugins.CheckTarget{{Label: "instance 1", Addr: srv.Listener.Addr().String()}}}
	start := time.Now()
	res, err := (&zmiCheck{}).Check(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("check took %v despite a 200ms context", took)
	}
	if res.OK || !strings.HasPrefix(res.Details["instance 1"], "no answer after ") {
		t.Errorf("got %+v, want a failure saying there was no answer", res)
	}
}

func TestCheck_NeverShowsThePasswordEvenWhenTheUserNameEqualsIt(t *testing.T) {
	t.Parallel()
	addr := testZope(t, zmiPage)
	res := runCheck(t, login("hunter2", "hunter2"), addr)
	if res.OK {
		t.Fatalf("want failure, got %+v", res)
	}
	wantNoPassword(t, res, "hunter2")
	if !strings.Contains(res.Message, `login refused for user "[redacted]"`) {
		t.Errorf("message = %q", res.Message)
	}
}

func TestCheck_RefusesSettingsItCannotUse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"password": testPassword}, `setting "user" is missing`},
		{map[string]any{"user": testUser}, `setting "password" is missing`},
		{map[string]any{"user": testUser, "password": 42.0}, `setting "password" must be a string, not float64`},
		{map[string]any{"user": "", "password": testPassword}, `setting "user" is empty`},
		{map[string]any{"user": "a:b", "password": testPassword}, `setting "user" cannot contain a colon`},
		{map[string]any{"user": testUser, "password": testPassword, "expect": ""}, `setting "expect" is empty`},
	} {
		_, err := (&zmiCheck{}).Check(context.Background(), plugins.CheckRequest{Config: tc.cfg,
			Targets: []plugins.CheckTarget{{Label: "instance 1", Addr: "127.0.0.1:1"}}})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("config %v: error = %v, want it to start with %q", tc.cfg, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), testPassword) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestCheck_WithoutTargetsFails(t *testing.T) {
	t.Parallel()
	res := runCheck(t, login(testUser, testPassword))
	if res.OK || res.Message != "no targets to check" {
		t.Errorf("got %+v", res)
	}
}

func TestCheck_DescribesItselfAsTheZMICheck(t *testing.T) {
	t.Parallel()
	c := &zmiCheck{}
	info, err := c.Info(context.Background())
	if err != nil || info.Name != "zmi" || info.Kind != plugins.KindCheck || info.Version == "" {
		t.Errorf("Info = %+v, %v", info, err)
	}
	schema, err := c.ConfigSchema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	required := map[string]bool{}
	for _, a := range schema.Attributes {
		if a.Type != "string" {
			t.Errorf("attribute %s has type %s, want string", a.Name, a.Type)
		}
		required[a.Name] = a.Required
	}
	want := map[string]bool{"user": true, "password": true, "path": false, "expect": false, "host": false}
	if fmt.Sprint(required) != fmt.Sprint(want) {
		t.Errorf("attributes (name: required) = %v, want %v", required, want)
	}
}
