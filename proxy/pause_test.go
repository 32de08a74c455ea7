package proxy

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

// pausedProxy serves a.example live on blue, through a backend that counts
// its requests, and b.example on its own backend.
func pausedProxy(t *testing.T) (p *Proxy, base string, blueHits func() int64) {
	t.Helper()
	p = New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}, {Name: "b", Hosts: []string{"b.example"}}})
	blue, hits := statusBackend(t, "blue", always(200))
	mustSwitch(t, p, "a", "blue", blue)
	mustSwitch(t, p, "b", "blue", testBackend(t, "b"))
	return p, testProxy(t, p), hits.Load
}

func waiting(p *Proxy, service string) int {
	_, n, _ := p.Paused(service)
	return n
}

// Pause, switch, resume: every request that arrived during the pause is
// answered by the slot live at Resume, and none is lost.
func TestPause_HeldRequestsAllReachTheSlotLiveAtResume(t *testing.T) {
	p, base, blueHits := pausedProxy(t)
	if err := p.Pause("a", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	const n = 50
	type answer struct {
		code int
		body string
	}
	answers := make(chan answer, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			code, body := get(t, http.DefaultClient, base, "a.example", "/")
			answers <- answer{code, body}
		})
	}
	waitFor(t, func() bool { return waiting(p, "a") == n })

	if got := p.InFlight("a", "blue"); got != 0 {
		t.Errorf("held requests count as in flight: %d", got)
	}
	if code, body := get(t, http.DefaultClient, base, "b.example", "/"); code != 200 || body != "b" {
		t.Errorf("another service during the pause: %d %q", code, body)
	}
	if d := mustSwitch(t, p, "a", "green", testBackend(t, "green")); d.Wait(context.Background()).Remaining != 0 {
		t.Error("the old slot had requests in flight during the pause")
	}
	released, err := p.Resume("a")
	if err != nil || released != n {
		t.Fatalf("Resume = %d, %v; want %d", released, err, n)
	}
	wg.Wait()
	close(answers)
	for a := range answers {
		if a.code != 200 || a.body != "green" {
			t.Errorf("held request answered %d %q, want 200 from green", a.code, a.body)
		}
	}
	if got := blueHits(); got != 0 {
		t.Errorf("%d held requests reached the old slot", got)
	}
	if _, _, paused := p.Paused("a"); paused {
		t.Error("still paused after Resume")
	}
}

func TestPause_RequestHeldLongerThanMaxGets503(t *testing.T) {
	p, base, blueHits := pausedProxy(t)
	if err := p.Pause("a", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, body, h := send(t, newRequest(t, "GET", base, "a.example", "/"))
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("answered after %v, before the pause's max", took)
	}
	if code != http.StatusServiceUnavailable || h.Get("Retry-After") != "1" || body+"\n" != pageText[http.StatusServiceUnavailable] {
		t.Errorf("got %d %q Retry-After %q, want 503, the built-in page and Retry-After 1", code, body, h.Get("Retry-After"))
	}
	if blueHits() != 0 || waiting(p, "a") != 0 {
		t.Errorf("hits %d, waiting %d after the timeout", blueHits(), waiting(p, "a"))
	}
	if released, err := p.Resume("a"); err != nil || released != 0 {
		t.Errorf("Resume = %d, %v; want nobody left to release", released, err)
	}
}

func TestPause_ClientThatGoesAwayLeavesTheQueue(t *testing.T) {
	p, base, blueHits := pausedProxy(t)
	if err := p.Pause("a", time.Minute); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req := newRequest(t, "GET", base, "a.example", "/").WithContext(ctx)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	waitFor(t, func() bool { return waiting(p, "a") == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("client error %v", err)
	}
	waitFor(t, func() bool { return waiting(p, "a") == 0 })
	if released, _ := p.Resume("a"); released != 0 || blueHits() != 0 {
		t.Fatalf("released %d, backend hits %d; want the gone client forgotten", released, blueHits())
	}
}

func TestPause_RefusesUnknownServicesDoublePausesAndResumesWithoutPause(t *testing.T) {
	p, _, _ := pausedProxy(t)
	if err := p.Pause("nope", time.Second); !errors.Is(err, ErrUnknownService) {
		t.Errorf("Pause unknown: %v", err)
	}
	if err := p.Pause("a", 0); !errors.Is(err, ErrNoPauseMax) {
		t.Errorf("Pause with no max: %v", err)
	}
	if _, err := p.Resume("a"); !errors.Is(err, ErrNotPaused) {
		t.Errorf("Resume not paused: %v", err)
	}
	if _, err := p.Resume("nope"); !errors.Is(err, ErrUnknownService) {
		t.Errorf("Resume unknown: %v", err)
	}
	before := time.Now()
	if err := p.Pause("a", time.Second); err != nil {
		t.Fatal(err)
	}
	if since, n, ok := p.Paused("a"); !ok || n != 0 || since.Before(before) {
		t.Errorf("Paused = %v %d %v", since, n, ok)
	}
	if err := p.Pause("a", time.Second); !errors.Is(err, ErrPaused) {
		t.Errorf("second Pause: %v", err)
	}
	if _, _, ok := p.Paused("b"); ok {
		t.Error("pausing a paused b")
	}
}

func TestPause_AndMaintenanceAreIndependent(t *testing.T) {
	p, base, blueHits := pausedProxy(t)
	if err := p.Pause("a", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := p.SetMaintenance("a", true, Page{Body: []byte("brb")}); err != nil {
		t.Fatal(err)
	}
	// Maintenance answers at once: holding a visitor only to show the page
	// later helps nobody.
	if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != http.StatusServiceUnavailable || body != "brb" {
		t.Errorf("paused and in maintenance: %d %q", code, body)
	}
	if _, err := p.Resume("a"); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != http.StatusServiceUnavailable || body != "brb" {
		t.Errorf("after Resume, still in maintenance: %d %q", code, body)
	}
	if err := p.SetMaintenance("a", false, Page{}); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != "blue" || blueHits() != 1 {
		t.Errorf("after maintenance: %d %q, hits %d", code, body, blueHits())
	}
}

// A request held when maintenance begins gets the page once let go.
func TestPause_HeldRequestSeesMaintenanceTurnedOnMeanwhile(t *testing.T) {
	p, base, blueHits := pausedProxy(t)
	if err := p.Pause("a", time.Minute); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() { code, _ := get(t, http.DefaultClient, base, "a.example", "/"); done <- code }()
	waitFor(t, func() bool { return waiting(p, "a") == 1 })
	if err := p.SetMaintenance("a", true, Page{}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Resume("a"); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != http.StatusServiceUnavailable || blueHits() != 0 {
		t.Fatalf("got %d, hits %d; want the maintenance page", code, blueHits())
	}
}

func TestPause_RemovingTheServiceLetsItsHeldRequestsGo(t *testing.T) {
	p, base, _ := pausedProxy(t)
	if err := p.Pause("a", time.Minute); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() { code, _ := get(t, http.DefaultClient, base, "a.example", "/"); done <- code }()
	waitFor(t, func() bool { return waiting(p, "a") == 1 })
	p.Configure([]Service{{Name: "b", Hosts: []string{"b.example"}}})
	select {
	case code := <-done:
		if code != http.StatusNotFound {
			t.Fatalf("got %d, want 404 for a host no longer served", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a request of a removed service is still held")
	}
}
