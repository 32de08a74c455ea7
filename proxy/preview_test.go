package proxy

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// previewProxy serves service a: a.example is live on blue, preview.a.example
// and the token "s3cret" lead to the preview slot green once set.
func previewProxy(t *testing.T) (p *Proxy, base string) {
	t.Helper()
	p = New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}, PreviewHosts: []string{"Preview.A.example"}, PreviewTokens: []string{"other", "s3cret"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	return p, testProxy(t, p)
}

func mustPreview(t *testing.T, p *Proxy, service, slot string, addrs ...string) {
	t.Helper()
	if err := p.SetPreview(service, Backend{Slot: slot, Addrs: addrs}); err != nil {
		t.Fatal(err)
	}
}

func withToken(req *http.Request, token string) *http.Request {
	req.Header.Set(PreviewHeader, token)
	return req
}

func TestPreview_PreviewHostGoesToThePreviewSlotAndTheSiteHostToTheLiveOne(t *testing.T) {
	p, base := previewProxy(t)
	mustPreview(t, p, "a", "green", testBackend(t, "green"))
	if code, body := get(t, http.DefaultClient, base, "preview.a.example:443", "/"); code != 200 || body != "green" {
		t.Errorf("preview host: %d %q, want green", code, body)
	}
	if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != "blue" {
		t.Errorf("site host: %d %q, want blue", code, body)
	}
	if got := p.Preview("a"); got != "green" {
		t.Errorf("Preview = %q", got)
	}
	if slot, _ := p.Live("a"); slot != "blue" {
		t.Errorf("a preview changed the live slot to %q", slot)
	}
}

func TestPreview_RightTokenGoesToThePreviewSlotAndAWrongOneTheLiveWay(t *testing.T) {
	p, base := previewProxy(t)
	mustPreview(t, p, "a", "green", testBackend(t, "green"))
	for token, want := range map[string]string{"s3cret": "green", "other": "green", "s3cret2": "blue", "s3cre": "blue", "S3CRET": "blue"} {
		if code, body, _ := send(t, withToken(newRequest(t, "GET", base, "a.example", "/"), token)); code != 200 || body != want {
			t.Errorf("token %q: %d %q, want %s", token, code, body, want)
		}
	}
}

func TestPreview_TheTokenHeaderNeverReachesTheApplication(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{
		{Name: "a", Hosts: []string{"a.example"}, PreviewHosts: []string{"preview.a.example"}, PreviewTokens: []string{"s3cret"}},
		{Name: "b", Hosts: []string{"b.example"}},
	})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	mustPreview(t, p, "a", "green", testBackend(t, "green"))
	mustSwitch(t, p, "b", "blue", testBackend(t, "b"))
	base := testProxy(t, p)

	for _, c := range []struct{ name, host, token string }{
		{"matching token", "a.example", "s3cret"},
		{"wrong token", "a.example", "guess"},
		{"token on the preview host", "preview.a.example", "s3cret"},
		{"token for a service without tokens", "b.example", "s3cret"},
	} {
		code, _, h := send(t, withToken(newRequest(t, "GET", base, c.host, "/echo"), c.token))
		if code != 200 || h.Get("X-Seen-Preview") != "0" {
			t.Errorf("%s: %d, the application saw %s %s header(s)", c.name, code, h.Get("X-Seen-Preview"), PreviewHeader)
		}
	}
}

func TestPreview_EmptyTokensOpenNothing(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}, PreviewTokens: []string{""}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	mustPreview(t, p, "a", "green", testBackend(t, "green"))
	req := newRequest(t, "GET", testProxy(t, p), "a.example", "/")
	req.Header[PreviewHeader] = []string{""}
	if code, body, _ := send(t, req); code != 200 || body != "blue" {
		t.Fatalf("empty token: %d %q, want the live slot", code, body)
	}
}

func TestPreview_WithoutAPreviewSlotPreviewRequestsGet503(t *testing.T) {
	p, base := previewProxy(t)
	check := func(when string) {
		t.Helper()
		if code, _ := get(t, http.DefaultClient, base, "preview.a.example", "/"); code != http.StatusServiceUnavailable {
			t.Errorf("%s, preview host: %d, want 503", when, code)
		}
		if code, _, _ := send(t, withToken(newRequest(t, "GET", base, "a.example", "/"), "s3cret")); code != http.StatusServiceUnavailable {
			t.Errorf("%s, token: %d, want 503", when, code)
		}
		if got := p.Preview("a"); got != "" {
			t.Errorf("%s, Preview = %q", when, got)
		}
	}
	check("before SetPreview")
	mustPreview(t, p, "a", "green", testBackend(t, "green"))
	p.ClearPreview("a")
	check("after ClearPreview")
	if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != "blue" {
		t.Errorf("live route after ClearPreview: %d %q", code, body)
	}
}

func TestPreview_SetPreviewRejectsUnknownServiceAndEmptyBackend(t *testing.T) {
	p, _ := previewProxy(t)
	if err := p.SetPreview("nope", Backend{Slot: "green", Addrs: []string{"127.0.0.1:1"}}); !errors.Is(err, ErrUnknownService) {
		t.Errorf("unknown service: %v", err)
	}
	if err := p.SetPreview("a", Backend{Slot: "green"}); !errors.Is(err, ErrNoInstances) {
		t.Errorf("empty backend: %v", err)
	}
}

// The preview uses the slot's own pool: a drain or a stop of that slot waits
// for preview requests like for live ones.
func TestPreview_RequestsCountInTheSlotsInFlightSoDrainsWaitForThem(t *testing.T) {
	p, base := previewProxy(t)
	mustPreview(t, p, "a", "green", testBackend(t, "green"))
	done := make(chan string, 1)
	go func() { _, body := get(t, http.DefaultClient, base, "preview.a.example", "/slow?ms=400"); done <- body }()
	waitFor(t, func() bool { return p.InFlight("a", "green") == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if res := p.WaitIdle(ctx, "a", "green"); res.Drained || res.Remaining != 1 {
		t.Fatalf("WaitIdle during a preview request: %+v, want 1 remaining", res)
	}
	if body := <-done; body != "green" {
		t.Fatalf("slow preview request answered by %q", body)
	}
	if res := p.WaitIdle(context.Background(), "a", "green"); !res.Drained {
		t.Fatalf("WaitIdle after: %+v", res)
	}
}

func TestPreview_SwitchingToThePreviewSlotReusesItsPool(t *testing.T) {
	p, base := previewProxy(t)
	green := testBackend(t, "green")
	mustPreview(t, p, "a", "green", green)
	get(t, http.DefaultClient, base, "preview.a.example", "/")
	mustSwitch(t, p, "a", "green", green)
	get(t, http.DefaultClient, base, "a.example", "/")
	if got := p.SlotStats("a", "green").Requests; got != 2 {
		t.Fatalf("green counted %d requests, want 2: live and preview must share one pool", got)
	}
}

func TestPreview_ForgetKeepsThePreviewSlotsPool(t *testing.T) {
	p, base := previewProxy(t)
	mustPreview(t, p, "a", "green", testBackend(t, "green"))
	get(t, http.DefaultClient, base, "preview.a.example", "/")
	p.Forget("a", "green")
	if got := p.SlotStats("a", "green").Requests; got != 1 {
		t.Fatalf("the preview slot's pool was forgotten (stats %d)", got)
	}
}

func TestPreview_IsNeitherHeldByAPauseNorStoppedByMaintenance(t *testing.T) {
	p, base := previewProxy(t)
	mustPreview(t, p, "a", "green", testBackend(t, "green"))
	if err := p.Pause("a", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := p.SetMaintenance("a", true, Page{}); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, http.DefaultClient, base, "preview.a.example", "/"); code != 200 || body != "green" {
		t.Errorf("preview host: %d %q, want green", code, body)
	}
	if code, body, _ := send(t, withToken(newRequest(t, "GET", base, "a.example", "/"), "s3cret")); code != 200 || body != "green" {
		t.Errorf("token: %d %q, want green", code, body)
	}
	if code, _ := get(t, http.DefaultClient, base, "a.example", "/"); code != http.StatusServiceUnavailable {
		t.Errorf("live route in maintenance: %d, want 503", code)
	}
}

func TestConfigure_KeepsPreviewMaintenanceAndPauseOfServicesThatStay(t *testing.T) {
	p, base := previewProxy(t)
	mustPreview(t, p, "a", "green", testBackend(t, "green"))
	if err := p.SetMaintenance("a", true, Page{}); err != nil {
		t.Fatal(err)
	}
	if err := p.Pause("a", time.Minute); err != nil {
		t.Fatal(err)
	}
	p.Configure([]Service{
		{Name: "a", Hosts: []string{"a.example"}, PreviewHosts: []string{"preview.a.example"}},
		{Name: "b", Hosts: []string{"b.example"}},
	})
	if got := p.Preview("a"); got != "green" {
		t.Errorf("Preview = %q after Configure", got)
	}
	if !p.Maintenance("a") {
		t.Error("maintenance lost by Configure")
	}
	if _, _, paused := p.Paused("a"); !paused {
		t.Error("pause lost by Configure")
	}
	if code, body := get(t, http.DefaultClient, base, "preview.a.example", "/"); code != 200 || body != "green" {
		t.Errorf("preview host after Configure: %d %q", code, body)
	}
	if _, err := p.Resume("a"); err != nil {
		t.Errorf("Resume after Configure: %v", err)
	}
}
