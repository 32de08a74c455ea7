package orchestrator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"deploy/internal/controllertest"
	"deploy/state"
)

// testController is a controller on a real config and state directory with
// nothing started.
func testController(t *testing.T) (*Controller, *state.Dir) {
	t.Helper()
	p := controllertest.New(t, 39101)
	c, err := New(p.Config, p.Store, p.Releases, p.Proxy, p.Log)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Restore(t.Context()); err != nil {
		t.Fatal(err)
	}
	return c, p.Store
}

func TestAPI_BadRequestsGetAClearErrorAndChangeNothing(t *testing.T) {
	c, store := testController(t)
	srv := httptest.NewServer(NewAPI(c))
	defer srv.Close()

	for _, tc := range []struct {
		method, path, body string
		status             int
		kind               Kind
		want               string
	}{
		{"POST", "/v1/services/demo/switch", `{"to":"green","forcce":true}`, 400, KindInvalid, `unknown field "forcce"`},
		{"POST", "/v1/services/demo/switch", `{"to":"green"} {"to":"blue"}`, 400, KindInvalid, "more than one JSON value"},
		{"POST", "/v1/services/demo/switch", `{"to":`, 400, KindInvalid, "bad request body"},
		{"POST", "/v1/services/demo/switch", `["green"]`, 400, KindInvalid, "bad request body"},
		{"POST", "/v1/services/demo/up", `{"slot":"purple"}`, 400, KindInvalid, `no slot "purple"`},
		{"POST", "/v1/services/nope/up", `{"slot":"blue"}`, 404, KindNotFound, `no service named "nope"`},
		{"POST", "/v1/services/demo/switch", `{"to":"green"}`, 409, KindRefused, "slot green is not running"},
		{"POST", "/v1/services/demo/rollback", `{}`, 409, KindRefused, "no previous slot"},
		{"POST", "/v1/services/demo/down", `{"slot":"blue"}` + strings.Repeat(" ", maxRequestBody), 400, KindInvalid, "too large"},
		{"GET", "/v1/services/demo/history?limit=-3", ``, 400, KindInvalid, "limit"},
		{"GET", "/v1/status?service=nope", ``, 404, KindNotFound, "no service"},
		{"POST", "/v1/services/demo/release", `{}`, 400, KindInvalid, "no release given"},
		{"POST", "/v1/services/demo/release", `{"release":"r1","watch":"-1s"}`, 400, KindInvalid, "negative"},
		{"POST", "/v1/services/demo/release", `{"release":"r1","watch":90}`, 400, KindInvalid, "duration must be a string"},
		{"POST", "/v1/services/demo/release", `{"release":"r1","message":"x"}`, 400, KindInvalid, "without the maintenance path"},
		{"POST", "/v1/services/demo/release", `{"release":"nope"}`, 404, KindNotFound, `no release "nope"`},
		{"POST", "/v1/services/demo/check", `{"slot":"blue"}`, 409, KindRefused, "not running"},
		{"POST", "/v1/services/demo/maintenance", `{"on":false,"message":"x"}`, 400, KindInvalid, "message"},
		{"POST", "/v1/services/demo/pause", `{"max":"11m"}`, 400, KindInvalid, "out of range"},
		{"POST", "/v1/services/demo/resume", `{}`, 409, KindRefused, "not paused"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e Error
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != tc.status || e.Kind != tc.kind || !strings.Contains(e.Message, tc.want) {
			t.Errorf("%s %s %.40q: %d %+v; want %d %s containing %q", tc.method, tc.path, tc.body, resp.StatusCode, e, tc.status, tc.kind, tc.want)
		}
	}

	snap, _ := store.Load()
	if svc := snap.Services["demo"]; svc != nil && (svc.Live != "" || svc.Previous != "" || svc.Maintenance != nil) {
		t.Fatalf("bad requests changed the state: %+v", svc)
	}
	if res, _ := http.Get(srv.URL + "/v1/services/demo/switch"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET on a POST endpoint: %d, want 405", res.StatusCode)
	}
}

func TestBusyLock_SecondOperationIsRefusedWithTheHolder(t *testing.T) {
	var b busyLock
	release, err := b.acquire("demo", "up green", "alice")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.acquire("demo", "switch", "bob")
	if e := asError(err); e == nil || e.Kind != KindBusy || !strings.Contains(e.Message, "busy: up green of demo started by alice at") {
		t.Fatalf("second acquire: %v", err)
	}
	release()
	if r, err := b.acquire("demo", "switch", "bob"); err != nil {
		t.Fatalf("acquire after release: %v", err)
	} else {
		r()
	}
}

func TestBusyLock_InterruptibleHolderGivesWayAndOthersDoNot(t *testing.T) {
	var b busyLock
	release, err := b.acquire("demo", "release", "pipeline")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := b.acquireOrInterrupt(ctx, "demo", "rollback", "alice"); asError(err).Kind != KindBusy {
		t.Fatalf("a holder that does not allow interruption must be kept: %v", err)
	}

	interrupted := make(chan struct{})
	stop := b.interruptible(func() { close(interrupted) })
	go func() {
		<-interrupted
		stop()
		release()
	}()
	r, err := b.acquireOrInterrupt(context.Background(), "demo", "rollback", "alice")
	if err != nil {
		t.Fatalf("an interruptible holder should give way: %v", err)
	}
	if op, _ := b.current(); op != "rollback" {
		t.Errorf("holder after the interruption: %q", op)
	}
	r()
}
