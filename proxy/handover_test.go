package proxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"deploy/internal/testwait"
)

func TestHandover_AnswersTheNextRequestOfAKeptAliveConnectionAndClosesIt(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(p, ServerOptions{})
	go s.Serve(ln)
	base := "http://" + ln.Addr().String()
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	if code, body := get(t, client, base, "a.example", "/"); code != 200 || body != "blue" {
		t.Fatalf("before: %d %q", code, body)
	}

	done := make(chan error, 1)
	go func() { done <- s.Handover(context.Background(), time.Hour) }()
	testwait.For(t, "the hand-over to begin", s.handover.started.Load)

	// The connection kept alive from the first request carries this one.
	resp, err := client.Do(newRequest(t, http.MethodGet, base, "a.example", "/"))
	if err != nil {
		t.Fatalf("a request on a kept-alive connection during the hand-over failed: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "blue" || !resp.Close {
		t.Errorf("during the hand-over: %d %q, close %v; want the answer, with the connection closed after it", resp.StatusCode, body, resp.Close)
	}
	var handed error
	testwait.For(t, "the hand-over to end once its last connection closed", func() bool {
		select {
		case handed = <-done:
			return true
		default:
			return false
		}
	})
	if handed != nil {
		t.Errorf("Handover = %v", handed)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Errorf("the listener still accepts after the hand-over (no successor holds it here)")
	}
}
