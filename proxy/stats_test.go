package proxy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// ejectProxy serves a.example from a bad and a good instance.
func ejectProxy(t *testing.T, s Service, bad func(int64) int) (p *Proxy, base, badAddr string, badHits func() int64) {
	t.Helper()
	p = New(Options{})
	s.Name, s.Hosts = "a", []string{"a.example"}
	p.Configure([]Service{s})
	badAddr, hits := statusBackend(t, "bad", bad)
	good, _ := statusBackend(t, "good", always(200))
	mustSwitch(t, p, "a", "blue", badAddr, good)
	return p, testProxy(t, p), badAddr, hits.Load
}

func getN(t *testing.T, base string, n int) {
	t.Helper()
	for range n {
		get(t, http.DefaultClient, base, "a.example", "/")
	}
}

func TestEjection_InstanceAnsweringTooMany5xxInARowLeavesRotation(t *testing.T) {
	p, base, _, badHits := ejectProxy(t, Service{Eject5xx: 3, EjectFor: time.Minute}, always(500))
	getN(t, base, 20)
	if got := badHits(); got != 3 {
		t.Fatalf("the failing instance got %d requests, want 3 then none", got)
	}
	st := p.InstanceStats("a", "blue")
	if st[0].Requests != 3 || st[0].Responses5xx != 3 || st[0].EjectedUntil.Before(time.Now().Add(50*time.Second)) {
		t.Errorf("bad instance stats %+v", st[0])
	}
	if st[1].Requests != 17 || st[1].Responses5xx != 0 || !st[1].EjectedUntil.IsZero() {
		t.Errorf("good instance stats %+v", st[1])
	}
	if got := p.SlotStats("a", "blue"); got != (SlotStats{Requests: 20, Responses5xx: 3}) {
		t.Errorf("slot stats %+v", got)
	}
}

func TestEjection_EjectedInstanceComesBackAfterEjectFor(t *testing.T) {
	_, base, _, badHits := ejectProxy(t, Service{Eject5xx: 1, EjectFor: 100 * time.Millisecond}, always(500))
	getN(t, base, 6)
	if got := badHits(); got != 1 {
		t.Fatalf("bad instance got %d requests while ejected", got)
	}
	time.Sleep(150 * time.Millisecond)
	getN(t, base, 2)
	if got := badHits(); got != 2 {
		t.Fatalf("bad instance got %d requests, want it tried again after EjectFor", got)
	}
}

func TestEjection_IsOffWhenEject5xxIsZero(t *testing.T) {
	_, base, _, badHits := ejectProxy(t, Service{}, always(500))
	getN(t, base, 20)
	if got := badHits(); got != 10 {
		t.Fatalf("the failing instance got %d of 20 requests, want its round-robin share of 10", got)
	}
}

func TestEjection_AGoodAnswerResetsTheCount(t *testing.T) {
	flaky := func(n int64) int { // 500, 200, 500, 200, ...
		if n%2 == 1 {
			return 500
		}
		return 200
	}
	p, base, _, badHits := ejectProxy(t, Service{Eject5xx: 2, EjectFor: time.Minute}, flaky)
	getN(t, base, 20)
	if got := badHits(); got != 10 {
		t.Fatalf("the flaky instance got %d of 20 requests: it was ejected without two 5xx in a row", got)
	}
	if st := p.InstanceStats("a", "blue")[0]; st.Responses5xx != 5 || !st.EjectedUntil.IsZero() {
		t.Errorf("flaky stats %+v", st)
	}
}

func TestEjection_AllInstancesEjectedStillServe(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}, Eject5xx: 1, EjectFor: time.Minute}})
	addr, hits := statusBackend(t, "only", always(503))
	mustSwitch(t, p, "a", "blue", addr)
	getN(t, testProxy(t, p), 3)
	if got := hits.Load(); got != 3 {
		t.Fatalf("the only instance got %d of 3 requests", got)
	}
}

func TestConfigure_ChangesTheEjectionPolicyOfRunningPools(t *testing.T) {
	p, base, _, badHits := ejectProxy(t, Service{}, always(500))
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}, Eject5xx: 1, EjectFor: time.Minute}})
	getN(t, base, 10)
	if got := badHits(); got != 1 {
		t.Fatalf("after Configure the failing instance got %d requests, want 1", got)
	}
}

func TestStats_ARetriedRequestCountsTwoAttemptsAndOneConnError(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	dead := deadAddr(t)
	mustSwitch(t, p, "a", "blue", dead, testBackend(t, "live"))
	getN(t, testProxy(t, p), 4) // one meets the dead instance, which then stays out for a second
	if got := p.SlotStats("a", "blue"); got != (SlotStats{Requests: 5, ConnErrors: 1}) {
		t.Errorf("slot stats %+v, want 5 attempts for 4 requests and 1 connection error", got)
	}
	st := p.InstanceStats("a", "blue")[0]
	if st.Addr != dead || st.Requests != 1 || st.ConnErrors != 1 || st.EjectedUntil.IsZero() {
		t.Errorf("dead instance stats %+v", st)
	}
}

func TestStats_AClientGoingAwayIsNoConnError(t *testing.T) {
	release := make(chan struct{})
	// The instance never answers, so the attempt ends in a transport error
	// when the client leaves.
	addr, _ := countingBackend(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, nil)
	defer close(release)
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", addr)
	base := testProxy(t, p)

	for _, method := range []string{"GET", "POST"} { // the lean path and http.Transport
		ctx, cancel := context.WithCancel(context.Background())
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("x")
		}
		req, _ := http.NewRequestWithContext(ctx, method, base+"/", body)
		req.Host = "a.example"
		go func() {
			waitFor(t, func() bool { return p.InFlight("a", "blue") == 1 })
			cancel()
		}()
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		waitFor(t, func() bool { return p.InFlight("a", "blue") == 0 })
	}
	if got := p.SlotStats("a", "blue"); got.Requests != 2 || got.ConnErrors != 0 {
		t.Fatalf("slot stats %+v, want 2 requests and no connection error", got)
	}
}

func TestStats_SlotWithoutAPoolHasNone(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	if got := p.SlotStats("a", "blue"); got != (SlotStats{}) {
		t.Errorf("SlotStats = %+v", got)
	}
	if got := p.InstanceStats("a", "blue"); got != nil {
		t.Errorf("InstanceStats = %+v", got)
	}
}

func TestInstanceStats_JSONLeavesOutEjectedUntilWhileInRotation(t *testing.T) {
	b, err := json.Marshal(InstanceStats{Addr: "127.0.0.1:1", Healthy: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"addr":"127.0.0.1:1","healthy":true,"requests":0,"responses_5xx":0,"conn_errors":0}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}
