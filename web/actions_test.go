package web

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"deploy/orchestrator"
)

const testToken = "0123456789abcdef0123456789abcdef"

// testServer is the page of a fake controller that serves demoStatus.
func testServer(t *testing.T, token string) (*Server, *fakeController) {
	t.Helper()
	f := &fakeController{services: []orchestrator.ServiceStatus{demoStatus()}}
	return New(f, Options{Token: token}), f
}

// post sends a form as a browser on 192.0.2.1 would.
func post(s *Server, path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "192.0.2.1:51234"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

func TestActions_WithoutATokenConfiguredEveryPostGets403AndNothingRuns(t *testing.T) {
	s, f := testServer(t, "")
	for _, path := range []string{"/services/demo/rollback", "/services/demo/switch"} {
		w := post(s, path, url.Values{"token": {""}, "confirm": {"demo"}, "to": {"blue"}})
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "actions are off: set token_file in controller { web { ... } }") {
			t.Errorf("POST %s: %d\n%s", path, w.Code, w.Body)
		}
	}
	if n := f.operations(); n != 0 {
		t.Errorf("%d operations ran", n)
	}
}

func TestActions_AWrongOrMissingTokenGets401AndNothingRuns(t *testing.T) {
	var logged bytes.Buffer
	f := &fakeController{services: []orchestrator.ServiceStatus{demoStatus()}}
	s := New(f, Options{Token: testToken, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	for _, tok := range []string{"", "wrong", testToken + "x", testToken[:len(testToken)-1]} {
		w := post(s, "/services/demo/rollback", url.Values{"token": {tok}, "confirm": {"demo"}})
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "token is wrong or missing") {
			t.Errorf("token %q: %d\n%s", tok, w.Code, w.Body)
		}
	}
	if n := strings.Count(logged.String(), "remote=192.0.2.1:51234"); n != 4 {
		t.Errorf("%d of 4 refusals logged with the remote address:\n%s", n, logged.String())
	}
	if strings.Contains(logged.String(), testToken[:8]) {
		t.Errorf("the log holds the token:\n%s", logged.String())
	}
	if n := f.operations(); n != 0 {
		t.Errorf("%d operations ran", n)
	}
}

func TestActions_AConfirmationOtherThanTheServiceNameGets400AndNothingRuns(t *testing.T) {
	s, f := testServer(t, testToken)
	for _, confirm := range []string{"", "Demo", "demo ", "yes"} {
		w := post(s, "/services/demo/switch", url.Values{"token": {testToken}, "confirm": {confirm}, "to": {"blue"}})
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "type the service name &#34;demo&#34;") {
			t.Errorf("confirm %q: %d\n%s", confirm, w.Code, w.Body)
		}
	}
	if n := f.operations(); n != 0 {
		t.Errorf("%d operations ran", n)
	}
}

func TestActions_ARollbackWithTokenAndConfirmationRunsAsTheWebClient(t *testing.T) {
	s, f := testServer(t, testToken)
	w := post(s, "/services/demo/rollback", url.Values{"token": {testToken}, "confirm": {"demo"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "rolled back from green to blue") || !strings.Contains(w.Body.String(), `href="/"`) {
		t.Fatalf("%d\n%s", w.Code, w.Body)
	}
	want := orchestrator.RollbackRequest{Service: "demo", Reason: "from the status page", Actor: "web 192.0.2.1"}
	if len(f.rollbacks) != 1 || f.rollbacks[0] != want {
		t.Errorf("rollbacks %+v, want %+v", f.rollbacks, want)
	}
}

func TestActions_ASwitchRunsTheGatedSwitchToTheChosenSlot(t *testing.T) {
	s, f := testServer(t, testToken)
	w := post(s, "/services/demo/switch", url.Values{"token": {testToken}, "confirm": {"demo"}, "to": {"blue"}, "reason": {"green answers 502"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "switched from blue to blue") {
		t.Fatalf("%d\n%s", w.Code, w.Body)
	}
	if len(f.switches) != 1 {
		t.Fatalf("switches %+v", f.switches)
	}
	got := f.switches[0]
	if got.Service != "demo" || got.To != "blue" || got.Reason != "green answers 502" || got.Actor != "web 192.0.2.1" || got.Force || got.SkipChecks {
		t.Errorf("switch %+v: want a checked, unforced switch of demo to blue by web 192.0.2.1", got)
	}
}

func TestActions_AFailedOperationAnswersTheStatusOfItsKindWithMessageAndHint(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{&orchestrator.Error{Kind: orchestrator.KindBusy, Message: "demo is busy: release running", Hint: "wait"}, http.StatusConflict},
		{&orchestrator.Error{Kind: orchestrator.KindRefused, Message: "demo has no previous slot", Hint: "use deploy switch"}, http.StatusConflict},
		{&orchestrator.Error{Kind: orchestrator.KindChecksFailed, Message: "its checks failed", Hint: "deploy check"}, http.StatusConflict},
		{&orchestrator.Error{Kind: orchestrator.KindNotFound, Message: "no service demo", Hint: "deploy status"}, http.StatusNotFound},
		{&orchestrator.Error{Kind: orchestrator.KindInvalid, Message: "no slot purple", Hint: "name a slot"}, http.StatusBadRequest},
		{&orchestrator.Error{Kind: orchestrator.KindFailed, Message: "disk full", Hint: "nothing was switched"}, http.StatusInternalServerError},
		{errors.New("plain failure"), http.StatusInternalServerError},
	} {
		s, f := testServer(t, testToken)
		f.err = tc.err
		w := post(s, "/services/demo/rollback", url.Values{"token": {testToken}, "confirm": {"demo"}})
		body := w.Body.String()
		msg, hint := tc.err.Error(), ""
		var e *orchestrator.Error
		if errors.As(tc.err, &e) {
			msg, hint = e.Message, e.Hint
		}
		if w.Code != tc.code || !strings.Contains(body, msg) || !strings.Contains(body, hint) || !strings.Contains(body, `href="/"`) {
			t.Errorf("%v: %d, want %d\n%s", tc.err, w.Code, tc.code, body)
		}
	}
}

func TestActions_AFormOverTheLimitIsRefusedUnread(t *testing.T) {
	s, f := testServer(t, testToken)
	w := post(s, "/services/demo/rollback", url.Values{"token": {testToken}, "confirm": {"demo"}, "reason": {strings.Repeat("x", maxFormBody)}})
	if w.Code != http.StatusRequestEntityTooLarge || f.operations() != 0 {
		t.Errorf("%d, %d operations\n%s", w.Code, f.operations(), w.Body)
	}
}

func TestActions_OnlyPostActsAndNotFromAnotherSite(t *testing.T) {
	s, f := testServer(t, testToken)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(method, "/services/demo/rollback?token="+testToken+"&confirm=demo", nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d", method, w.Code)
		}
	}
	form := url.Values{"token": {testToken}, "confirm": {"demo"}}
	req := httptest.NewRequest(http.MethodPost, "/services/demo/rollback", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", w.Code)
	}
	if n := f.operations(); n != 0 {
		t.Errorf("%d operations ran", n)
	}
}
