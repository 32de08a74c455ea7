package proxy

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestMaintenance_AnswersThePageAndNothingReachesTheInstances(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	addr, hits := statusBackend(t, "blue", always(200))
	mustSwitch(t, p, "a", "blue", addr)
	base := testProxy(t, p)

	page := Page{Body: []byte("<h1>Back soon</h1>"), ContentType: "text/html; charset=utf-8", RetryAfter: 1500 * time.Millisecond}
	if err := p.SetMaintenance("a", true, page); err != nil {
		t.Fatal(err)
	}
	page.Body[1] = 'X' // the proxy keeps its own copy
	if !p.Maintenance("a") {
		t.Fatal("Maintenance = false after turning it on")
	}
	for _, method := range []string{"GET", "POST"} {
		code, body, h := send(t, newRequest(t, method, base, "a.example", "/any"))
		if code != http.StatusServiceUnavailable || body != "<h1>Back soon</h1>" {
			t.Errorf("%s: %d %q, want 503 and the page", method, code, body)
		}
		for k, want := range map[string]string{"Retry-After": "2", "Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8"} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", method, k, got, want)
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the instance during maintenance", n)
	}

	if err := p.SetMaintenance("a", false, Page{}); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != "blue" || p.Maintenance("a") {
		t.Fatalf("after maintenance: %d %q", code, body)
	}
}

func TestMaintenance_WithoutABodyAnswersTheBuiltInPageAndRetryAfterOfOneSecond(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	if err := p.SetMaintenance("a", true, Page{ContentType: "text/html"}); err != nil {
		t.Fatal(err)
	}
	code, body, h := send(t, newRequest(t, "GET", testProxy(t, p), "a.example", "/"))
	if code != http.StatusServiceUnavailable || body+"\n" != pageText[http.StatusServiceUnavailable] {
		t.Errorf("got %d %q, want the built-in 503 page", code, body)
	}
	if h.Get("Retry-After") != "1" || h.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("headers %v", h)
	}
}

func TestMaintenance_ContentTypeIsSniffedWhenNotGiven(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	if err := p.SetMaintenance("a", true, Page{Body: []byte("<!DOCTYPE html><p>later</p>"), RetryAfter: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	_, _, h := send(t, newRequest(t, "GET", testProxy(t, p), "a.example", "/"))
	if h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("Retry-After") != "30" {
		t.Errorf("headers %v", h)
	}
}

func TestMaintenance_UnknownServiceIsAnError(t *testing.T) {
	p := New(Options{})
	if err := p.SetMaintenance("nope", true, Page{}); !errors.Is(err, ErrUnknownService) {
		t.Fatalf("got %v", err)
	}
	if p.Maintenance("nope") {
		t.Fatal("an unknown service is in maintenance")
	}
}
