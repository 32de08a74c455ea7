package proxy

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"deploy/internal/switchlog"
)

func TestProxy_RoutesByHostToTheLiveSlot(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}, {Name: "b", Hosts: []string{"B.Example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "a-blue"))
	mustSwitch(t, p, "b", "green", testBackend(t, "b-green"))
	base := testProxy(t, p)

	for host, want := range map[string]string{"a.example": "a-blue", "A.EXAMPLE:8080": "a-blue", "b.example.": "b-green"} {
		if code, body := get(t, http.DefaultClient, base, host, "/"); code != 200 || body != want {
			t.Errorf("Host %q: got %d %q, want 200 %q", host, code, body, want)
		}
	}
}

func TestProxy_UnknownHostGets404NamingNothingInternal(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "secret-svc", Hosts: []string{"a.example"}}})
	addr := testBackend(t, "blue")
	mustSwitch(t, p, "secret-svc", "blue", addr)
	code, body := get(t, http.DefaultClient, testProxy(t, p), "other.example", "/")
	if code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", code)
	}
	for _, leak := range []string{"secret-svc", "blue", addr} {
		if strings.Contains(body, leak) {
			t.Errorf("404 page %q names %q", body, leak)
		}
	}
}

func TestProxy_DefaultServiceAnswersUnmatchedHosts(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}, {Name: "fallback", Default: true}})
	mustSwitch(t, p, "fallback", "blue", testBackend(t, "fallback"))
	if code, body := get(t, http.DefaultClient, testProxy(t, p), "anything.example", "/"); code != 200 || body != "fallback" {
		t.Fatalf("got %d %q, want the default service", code, body)
	}
}

func TestProxy_ServiceWithoutLiveSlotGets503(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	if code, _ := get(t, http.DefaultClient, testProxy(t, p), "a.example", "/"); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", code)
	}
}

func TestProxy_SwitchSendsTheNextKeepAliveRequestToTheNewSlot(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	blue, green := testBackend(t, "blue"), testBackend(t, "green")
	mustSwitch(t, p, "a", "blue", blue)
	base := testProxy(t, p)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}

	if _, body := get(t, client, base, "a.example", "/"); body != "blue" {
		t.Fatalf("before switch: %q", body)
	}
	if d := mustSwitch(t, p, "a", "green", green); d == nil || d.Slot() != "blue" {
		t.Fatalf("switch should return a drain of blue, got %v", d)
	}
	if _, body := get(t, client, base, "a.example", "/"); body != "green" {
		t.Fatalf("after switch, same keep-alive client got %q", body)
	}
	if slot, addrs := p.Live("a"); slot != "green" || len(addrs) != 1 || addrs[0] != green {
		t.Fatalf("Live = %s %v", slot, addrs)
	}
}

func TestProxy_InFlightRequestFinishesOnTheOldSlotAndDrainWaitsForIt(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	base := testProxy(t, p)

	slow := make(chan string, 1)
	go func() {
		_, body := get(t, http.DefaultClient, base, "a.example", "/slow?ms=400")
		slow <- body
	}()
	waitFor(t, func() bool { return p.InFlight("a", "blue") == 1 })

	d := mustSwitch(t, p, "a", "green", testBackend(t, "green"))
	if _, body := get(t, http.DefaultClient, base, "a.example", "/"); body != "green" {
		t.Fatalf("new request after switch went to %q", body)
	}
	res := d.Wait(context.Background())
	if !res.Drained || res.Remaining != 0 || res.Slot != "blue" {
		t.Fatalf("drain result %+v", res)
	}
	if body := <-slow; body != "blue" {
		t.Fatalf("slow request answered by %q, want blue", body)
	}
}

func TestDrain_TimeoutReportsRequestsStillInFlight(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	base := testProxy(t, p)
	done := make(chan struct{})
	go func() { get(t, http.DefaultClient, base, "a.example", "/slow?ms=1000"); close(done) }()
	waitFor(t, func() bool { return p.InFlight("a", "blue") == 1 })

	d := mustSwitch(t, p, "a", "green", testBackend(t, "green"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if res := d.Wait(ctx); res.Drained || res.Remaining != 1 {
		t.Fatalf("drain result %+v, want 1 remaining", res)
	}
	<-done
}

func TestDrain_StopsWhenTheSlotIsLiveAgain(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	blue := testBackend(t, "blue")
	mustSwitch(t, p, "a", "blue", blue)
	base := testProxy(t, p)
	done := make(chan struct{})
	go func() { get(t, http.DefaultClient, base, "a.example", "/slow?ms=1000"); close(done) }()
	waitFor(t, func() bool { return p.InFlight("a", "blue") == 1 })

	d := mustSwitch(t, p, "a", "green", testBackend(t, "green"))
	mustSwitch(t, p, "a", "blue", blue) // rollback while blue drains
	if res := d.Wait(context.Background()); !res.LiveAgain {
		t.Fatalf("drain result %+v, want live again", res)
	}
	<-done
}

func TestProxy_RefusedConnectionIsRetriedOnASiblingForGet(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", deadAddr(t), testBackend(t, "blue-2"))
	base := testProxy(t, p)
	for i := range 10 {
		if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != "blue-2" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
	}
}

func TestProxy_PostToARefusingInstanceIsNotRetriedButTheInstanceIsEjected(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	dead, live := deadAddr(t), testBackend(t, "live")
	mustSwitch(t, p, "a", "blue", dead, live)
	base := testProxy(t, p)

	codes := map[int]int{}
	for range 4 {
		req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader("payload"))
		req.Host = "a.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes[resp.StatusCode]++
	}
	if codes[http.StatusBadGateway] != 1 || codes[http.StatusOK] != 3 {
		t.Fatalf("status counts %v: want exactly one 502 (the first POST to the dead instance), then the dead one out of rotation", codes)
	}
}

func TestProxy_ForwardedHeadersFromUntrustedPeersAreReplaced(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	resp := forwardedRequest(t, testProxy(t, p))
	if got := resp.Header.Get("X-Seen-XFF"); got != "127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want only the peer", got)
	}
	if got := resp.Header.Get("X-Seen-Proto"); got != "http" {
		t.Errorf("X-Forwarded-Proto = %q, want http", got)
	}
	if got := resp.Header.Get("X-Seen-Host"); got != "a.example" {
		t.Errorf("Host = %q, want the client's", got)
	}
}

func TestProxy_ForwardedHeadersFromTrustedPeersAreKept(t *testing.T) {
	p := New(Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	resp := forwardedRequest(t, testProxy(t, p))
	if got := resp.Header.Get("X-Seen-XFF"); got != "203.0.113.9, 127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want the chain with the peer appended", got)
	}
	if got := resp.Header.Get("X-Seen-Proto"); got != "https" {
		t.Errorf("X-Forwarded-Proto = %q, want the trusted peer's https", got)
	}
}

func forwardedRequest(t *testing.T, base string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/echo", nil)
	req.Host = "a.example"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestProxy_SwitchRejectsUnknownServiceAndEmptyBackend(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	if _, err := p.Switch("nope", Backend{Slot: "blue", Addrs: []string{"127.0.0.1:1"}}); !errors.Is(err, ErrUnknownService) {
		t.Errorf("unknown service: %v", err)
	}
	if _, err := p.Switch("a", Backend{Slot: "blue"}); !errors.Is(err, ErrNoInstances) {
		t.Errorf("empty backend: %v", err)
	}
	if slot, _ := p.Live("a"); slot != "" {
		t.Errorf("a failed switch changed the live slot to %q", slot)
	}
}

// Every response must come from a slot that was live at some moment while
// the request was in flight, however the switches interleave.
func TestProxy_ConcurrentSwitchesNeverRouteToASlotThatWasNotLive(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	backends := map[string]string{"blue": testBackend(t, "blue"), "green": testBackend(t, "green")}
	mustSwitch(t, p, "a", "blue", backends["blue"])
	base := testProxy(t, p)

	var live switchlog.Log
	live.Begin("blue")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				code, body := get(t, http.DefaultClient, base, "a.example", "/")
				if code != 200 || !live.LiveDuring(body, start, time.Now()) {
					errs <- body
					return
				}
			}
		})
	}
	slots := []string{"green", "blue"}
	for i := range 200 {
		slot := slots[i%2]
		live.Begin(slot)
		mustSwitch(t, p, "a", slot, backends[slot])
		live.End()
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("response %q from a slot that was not live during the request", e)
	}
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"Example.ORG":        "example.org",
		"example.org:8080":   "example.org",
		"example.org.":       "example.org",
		"[::1]:8080":         "::1",
		"[::1]":              "::1",
		"":                   "",
		"already.lower":      "already.lower",
		"host.example.:8443": "host.example",
	} {
		if got := normalizeHost(in); got != want {
			t.Errorf("normalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
