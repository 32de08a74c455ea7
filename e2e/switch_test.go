package e2e

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"deploy/internal/switchlog"
)

// TestSwitch_UnderLoadFailsNoRequestAndRoutesOnlyToLiveSlots is the switch
// invariant: while 32 clients (keep-alive and fresh connections) send
// requests through the proxy, 200 switches and rollbacks (1,000 under make
// soak) fail none of them, and every response comes from a slot that was
// live while it was in flight.
func TestSwitch_UnderLoadFailsNoRequestAndRoutesOnlyToLiveSlots(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{})
	var live switchlog.Log
	live.Begin("blue")
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")

	var (
		stop          = make(chan struct{})
		wg            sync.WaitGroup
		total, failed atomic.Int64
		misrouted     atomic.Int64
		mu            sync.Mutex
		firstFailures []string
		recordFailure = func(msg string) {
			mu.Lock()
			if len(firstFailures) < 10 {
				firstFailures = append(firstFailures, msg)
			}
			mu.Unlock()
		}
	)
	rounds := soakRounds(200, 1000)
	for i := range 32 {
		// Even clients keep connections alive; odd ones open one per request.
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: i%2 == 1, MaxIdleConnsPerHost: 4}}
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				slot, err := s.get(client, "/")
				end := time.Now()
				total.Add(1)
				switch {
				case err != nil:
					failed.Add(1)
					recordFailure(err.Error())
				case !live.LiveDuring(slot, start, end):
					misrouted.Add(1)
					recordFailure("answered by " + slot + ", which was not live during the request")
				}
			}
		})
	}

	// A long request started before a switch finishes on the old slot.
	type slowResult struct {
		slot string
		err  error
	}
	slow := make(chan slowResult, 1)

	for i := range rounds {
		from, to := "blue", "green"
		if i%2 == 1 {
			from, to = "green", "blue"
		}
		if i == rounds/2 {
			go func() {
				slot, err := s.get(&http.Client{Timeout: 30 * time.Second}, "/slow?ms=2000")
				slow <- slowResult{slot, err}
			}()
			time.Sleep(200 * time.Millisecond)
		}
		live.Begin(to)
		if i%4 == 1 {
			s.must("rollback", "demo")
		} else {
			s.must("switch", "demo", "--to", to)
		}
		live.End()
		if i == rounds/2 {
			r := <-slow
			if r.err != nil || r.slot != from {
				t.Errorf("a 2s request started on %s before the switch: got slot %q, err %v; want 200 from %s", from, r.slot, r.err, from)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	t.Logf("%d requests from 32 clients during %d switches and rollbacks: %d failed, %d misrouted", total.Load(), rounds, failed.Load(), misrouted.Load())
	if total.Load() < 1000 {
		t.Errorf("only %d requests were sent; the load was too light to show anything", total.Load())
	}
	if failed.Load() != 0 || misrouted.Load() != 0 {
		t.Errorf("%d failed and %d misrouted requests; first: %s", failed.Load(), misrouted.Load(), strings.Join(firstFailures, " | "))
	}
	h := s.must("history", "demo", "--limit", "0")
	if n := strings.Count(h, " switch ") + strings.Count(h, " rollback "); n < rounds+1 {
		t.Errorf("history has %d switch/rollback entries, want at least %d:\n%s", n, rounds+1, h)
	}
}
