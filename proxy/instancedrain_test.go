package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// holdingBackend answers its name, except /hold, which it answers only once
// release is closed, after telling held its name.
func holdingBackend(t *testing.T, name string, held chan<- string, release <-chan struct{}) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			held <- name
			<-release
		}
		io.WriteString(w, name)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestInstanceDraining_SendsNothingNewToTheInstanceAndWaitsForWhatItHolds(t *testing.T) {
	held, release := make(chan string, 1), make(chan struct{})
	addrs := map[string]string{}
	for _, name := range []string{"one", "two"} {
		addrs[name] = holdingBackend(t, name, held, release)
	}
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", addrs["one"], addrs["two"])
	base := testProxy(t, p)

	heldDone := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(newRequest(t, http.MethodGet, base, "a.example", "/hold"))
		if err != nil {
			heldDone <- 0
			return
		}
		resp.Body.Close()
		heldDone <- resp.StatusCode
	}()
	busy := <-held
	other := map[string]string{"one": "two", "two": "one"}[busy]

	if err := p.SetInstanceDraining("a", "blue", addrs[busy], true); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := p.WaitInstanceIdle(cancelled, "a", "blue", addrs[busy]); err != nil || n != 1 {
		t.Errorf("WaitInstanceIdle while one request is held = %d, %v; want 1 left", n, err)
	}
	for range 10 {
		if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != other {
			t.Fatalf("while %s drains: %d %q, want 200 from %s", busy, code, body, other)
		}
	}

	close(release)
	if code := <-heldDone; code != 200 {
		t.Errorf("the held request ended with %d, want 200 from the draining instance", code)
	}
	if n, err := p.WaitInstanceIdle(context.Background(), "a", "blue", addrs[busy]); err != nil || n != 0 {
		t.Errorf("WaitInstanceIdle after the answer = %d, %v; want 0", n, err)
	}

	if err := p.SetInstanceDraining("a", "blue", addrs[other], true); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, http.DefaultClient, base, "a.example", "/"); code != http.StatusBadGateway {
		t.Errorf("every instance draining: status %d, want 502 (no instance may take it)", code)
	}
	if err := p.SetInstanceDraining("a", "blue", addrs[busy], false); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != busy {
			t.Fatalf("after %s came back: %d %q, want 200 from it", busy, code, body)
		}
	}
}

func TestInstanceDraining_NamesAnUnknownSlotOrAddress(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "one"))
	for _, c := range []struct{ slot, addr string }{{"green", "127.0.0.1:1"}, {"blue", "127.0.0.1:1"}} {
		if err := p.SetInstanceDraining("a", c.slot, c.addr, true); !errors.Is(err, ErrUnknownSlot) {
			t.Errorf("SetInstanceDraining(%s, %s) = %v, want ErrUnknownSlot", c.slot, c.addr, err)
		}
	}
}
