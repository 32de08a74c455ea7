package orchestrator

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

const testAPIToken = "api-token-0123456789abcdef"

func TestTokenHandler_RefusesEveryRequestWithoutTheRightTokenAndNeverCallsTheAPI(t *testing.T) {
	var called atomic.Bool
	srv := httptest.NewServer(NewTokenHandler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called.Store(true) }), testAPIToken))
	defer srv.Close()

	for name, auth := range map[string]string{
		"missing header":          "",
		"wrong scheme":            "Basic " + testAPIToken,
		"no space after Bearer":   "Bearer" + testAPIToken,
		"empty token":             "Bearer ",
		"wrong token":             "Bearer " + strings.Repeat("x", len(testAPIToken)),
		"token of another length": "Bearer " + testAPIToken + "0",
		"token's prefix":          "Bearer " + testAPIToken[:len(testAPIToken)-1],
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/services/demo/switch", strings.NewReader(`{"to":"green"}`))
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", resp.StatusCode)
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate %q, want a Bearer challenge", got)
			}
			var e Error
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Kind != KindUnauthorized || e.Message == "" || e.Hint == "" {
				t.Errorf("body decodes to %+v (%v), want an unauthorized error with a hint", e, err)
			}
			if called.Load() {
				t.Error("the wrapped handler was called")
			}
		})
	}
}

func TestTokenHandler_PassesTheRightTokenOnWithTheCallersAddressAsActor(t *testing.T) {
	actors := make(chan string, 1)
	srv := httptest.NewServer(NewTokenHandler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { actors <- actor(r.Context()) }), testAPIToken))
	defer srv.Close()

	for _, scheme := range []string{"Bearer", "bearer"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/status", nil)
		req.Header.Set("Authorization", scheme+" "+testAPIToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d, want 200", scheme, resp.StatusCode)
		}
		if got := <-actors; got != "api 127.0.0.1" {
			t.Errorf("%s: actor %q, want \"api 127.0.0.1\"", scheme, got)
		}
	}
}

func TestTokenHandler_WithAnEmptyTokenLetsNobodyIn(t *testing.T) {
	var called atomic.Bool
	srv := httptest.NewServer(NewTokenHandler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called.Store(true) }), ""))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/status", nil)
	req.Header.Set("Authorization", "Bearer ")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || called.Load() {
		t.Errorf("status %d, handler called %v; want 401 and not called", resp.StatusCode, called.Load())
	}
}

func TestTCPClient_TalksToTheRealAPIWithItsTokenAndChangesNothingWithAWrongOne(t *testing.T) {
	c, store := testController(t)
	srv := httptest.NewServer(NewTokenHandler(NewAPI(c), testAPIToken))
	defer srv.Close()
	good, err := NewTCPClient(srv.URL, testAPIToken)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := NewTCPClient(srv.URL+"/", "wrong-token-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}

	st, err := good.Status(t.Context(), "demo")
	if err != nil || len(st) != 1 || st[0].Service != "demo" {
		t.Fatalf("status over TCP: %+v, %v", st, err)
	}
	_, err = bad.Switch(t.Context(), SwitchRequest{Service: "demo", To: "green"})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindUnauthorized {
		t.Fatalf("switch with a wrong token: %v, want an unauthorized *Error", err)
	}
	if h, err := store.History("demo", 0); err != nil || len(h) != 0 {
		t.Errorf("history after an unauthorized switch: %+v, %v; want nothing", h, err)
	}
	// The same switch with the token reaches the controller, which refuses
	// it (green does not run) and records who asked.
	_, err = good.Switch(t.Context(), SwitchRequest{Service: "demo", To: "green"})
	if !errors.As(err, &e) || e.Kind != KindRefused {
		t.Fatalf("switch to a stopped slot: %v, want a refusal", err)
	}
	if h, err := store.History("demo", 0); err != nil || len(h) != 1 || h[0].Actor != "api 127.0.0.1" {
		t.Errorf("history after a refused switch: %+v, %v; want one entry by \"api 127.0.0.1\"", h, err)
	}
}

func TestNewTCPClient_RefusesAURLWithMoreThanAnAddressAndAnEmptyToken(t *testing.T) {
	for _, u := range []string{"127.0.0.1:9902", "unix:///run/deploy.sock", "http://", "http://127.0.0.1:9902/v1", "http://u:p@127.0.0.1:9902", "http://127.0.0.1:9902?x=1", "http://[::1"} {
		if _, err := NewTCPClient(u, testAPIToken); err == nil {
			t.Errorf("NewTCPClient accepted %q", u)
		}
	}
	if _, err := NewTCPClient("http://127.0.0.1:9902", ""); err == nil {
		t.Error("NewTCPClient accepted an empty token")
	}
}
