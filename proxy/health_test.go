package proxy

import (
	"net/http"
	"testing"
	"time"
)

func TestHealthPath_IsAnsweredByTheProxyForAnyHostWhateverTheServiceState(t *testing.T) {
	p := New(Options{HealthPath: "/_proxy/up"})
	p.Configure([]Service{{Name: "down", Hosts: []string{"down.example"}}, {Name: "held", Hosts: []string{"held.example"}}, {Name: "ok", Hosts: []string{"ok.example"}}})
	addr, hits := statusBackend(t, "app", always(200))
	for _, s := range []string{"down", "held", "ok"} {
		mustSwitch(t, p, s, "blue", addr)
	}
	if err := p.SetMaintenance("down", true, Page{}); err != nil {
		t.Fatal(err)
	}
	if err := p.Pause("held", time.Minute); err != nil {
		t.Fatal(err)
	}
	base := testProxy(t, p)

	for _, host := range []string{"unknown.example", "down.example", "held.example", "ok.example"} {
		for _, method := range []string{"GET", "HEAD"} {
			code, body, h := send(t, newRequest(t, method, base, host, "/_proxy/up"))
			wantBody := "ok"
			if method == "HEAD" {
				wantBody = ""
			}
			if code != 200 || body != wantBody || h.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s: %d %q %v", method, host, code, body, h)
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d health checks were forwarded", n)
	}

	// Only GET and HEAD of exactly that path.
	for _, c := range []struct{ method, path string }{{"POST", "/_proxy/up"}, {"GET", "/_proxy/up/x"}, {"GET", "/_proxy/upx"}} {
		if code, body, _ := send(t, newRequest(t, c.method, base, "ok.example", c.path)); code != 200 || body != "app" {
			t.Errorf("%s %s: %d %q, want it forwarded", c.method, c.path, code, body)
		}
	}
}

func TestHealthPath_UnsetForwardsEverything(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	if code, body := get(t, http.DefaultClient, testProxy(t, p), "a.example", "/"); code != 200 || body != "blue" {
		t.Fatalf("got %d %q", code, body)
	}
}

func TestInstanceHealth_UnhealthyInstancesGetNoRequestsWhileASiblingIsHealthy(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	one, two := testBackend(t, "one"), testBackend(t, "two")
	mustSwitch(t, p, "a", "blue", one, two)
	base := testProxy(t, p)
	answers := func() map[string]int {
		t.Helper()
		seen := map[string]int{}
		for range 10 {
			code, body := get(t, http.DefaultClient, base, "a.example", "/")
			if code != 200 {
				t.Fatalf("status %d", code)
			}
			seen[body]++
		}
		return seen
	}

	p.SetInstanceHealth("a", "blue", one, false)
	if seen := answers(); seen["two"] != 10 {
		t.Errorf("one unhealthy: answers %v, want all from two", seen)
	}
	if st := p.InstanceStats("a", "blue"); st[0].Healthy || !st[1].Healthy {
		t.Errorf("stats %+v", st)
	}
	p.SetInstanceHealth("a", "blue", two, false)
	if seen := answers(); seen["one"]+seen["two"] != 10 {
		t.Errorf("all unhealthy: answers %v, want the slot served anyway", seen)
	}
	p.SetInstanceHealth("a", "blue", one, true)
	if seen := answers(); seen["one"] != 10 {
		t.Errorf("one healthy again: answers %v, want all from one", seen)
	}

	// Reports on pools or addresses the proxy does not know change nothing.
	p.SetInstanceHealth("a", "green", one, false)
	p.SetInstanceHealth("nope", "blue", one, false)
	p.SetInstanceHealth("a", "blue", "127.0.0.1:1", false)
	if seen := answers(); seen["one"] != 10 {
		t.Errorf("after unknown reports: answers %v", seen)
	}
}
