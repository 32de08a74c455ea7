// Command switchlatency measures how long a switch and a rollback take to be
// seen from outside: from the moment the call is made until the first
// request sent after that moment is answered by the new slot. A poller sends
// requests back to back on one keep-alive connection through deploy's proxy
// the whole time, as a busy client would. It alternates switch and rollback
// and prints the percentiles of each as one JSON object; bench/run.sh runs
// it against a service with two running slots.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"deploy/orchestrator"
)

// Summary is the distribution of one kind of operation; durations are in
// milliseconds, except the proxy's own flip, in microseconds.
type Summary struct {
	Count int `json:"count"`
	// Visible is from the call to the first answer of the new slot.
	VisibleP50 float64 `json:"p50_ms"`
	VisibleP99 float64 `json:"p99_ms"`
	VisibleMax float64 `json:"max_ms"`
	// Call is how long the switch call took to return, its drain included.
	CallP50 float64 `json:"call_p50_ms"`
	CallP99 float64 `json:"call_p99_ms"`
	// Swap is the proxy's routing-table flip as the controller timed it.
	SwapP50 float64 `json:"swap_p50_us"`
	SwapP99 float64 `json:"swap_p99_us"`
}

// Report is the whole run.
type Report struct {
	Service      string  `json:"service"`
	From         string  `json:"from"`
	To           string  `json:"to"`
	Switch       Summary `json:"switch"`
	Rollback     Summary `json:"rollback"`
	PollRequests int64   `json:"poll_requests"`
	PollErrors   int64   `json:"poll_errors"`
}

func main() {
	socket := flag.String("socket", "", "the controller's control socket")
	url := flag.String("url", "", "URL of the service through deploy's proxy")
	host := flag.String("host", "", "Host header of the service")
	service := flag.String("service", "", "service to switch")
	from := flag.String("from", "blue", "slot live at the start, and after each rollback")
	to := flag.String("to", "green", "slot each switch goes to")
	n := flag.Int("n", 200, "switches, each followed by a rollback")
	timeout := flag.Duration("timeout", 30*time.Second, "longest wait for one operation to be seen")
	flag.Parse()
	if *socket == "" || *url == "" || *service == "" {
		log.Fatal("switchlatency: -socket, -url and -service are needed")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newPoller(*url, *host)
	go p.run(ctx)
	if _, err := p.wait(time.Now(), *from, *timeout); err != nil {
		log.Fatalf("switchlatency: %s must be live on %s before the run: %v", *service, *from, err)
	}

	client := orchestrator.NewClient(*socket)
	ops := []struct {
		name string
		to   string
		call func(context.Context) (*orchestrator.SwitchResult, error)
	}{
		{"switch", *to, func(ctx context.Context) (*orchestrator.SwitchResult, error) {
			return client.Switch(ctx, orchestrator.SwitchRequest{Service: *service, To: *to, SkipChecks: true, Reason: "bench"})
		}},
		{"rollback", *from, func(ctx context.Context) (*orchestrator.SwitchResult, error) {
			return client.Rollback(ctx, orchestrator.RollbackRequest{Service: *service, Reason: "bench"})
		}},
	}
	samples := map[string]*[3][]float64{"switch": {}, "rollback": {}}
	for i := range *n {
		for _, op := range ops {
			octx, ocancel := context.WithTimeout(ctx, *timeout)
			t0 := time.Now()
			seen := p.expect(t0, op.to)
			res, err := op.call(octx)
			call := time.Since(t0)
			ocancel()
			if err != nil {
				log.Fatalf("switchlatency: %s %d of %d: %v", op.name, i+1, *n, err)
			}
			var at time.Time
			select {
			case at = <-seen:
			case <-time.After(*timeout):
				log.Fatalf("switchlatency: %s %d of %d returned, but no answer came from %s within %s", op.name, i+1, *n, op.to, *timeout)
			}
			s := samples[op.name]
			s[0] = append(s[0], ms(at.Sub(t0)))
			s[1] = append(s[1], ms(call))
			s[2] = append(s[2], float64(res.SwapUS))
		}
	}
	cancel()

	rep := Report{
		Service: *service, From: *from, To: *to,
		Switch:       summarize(samples["switch"]),
		Rollback:     summarize(samples["rollback"]),
		PollRequests: p.requests.Load(),
		PollErrors:   p.errors.Load(),
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		log.Fatal(err)
	}
}

// poller sends requests back to back and tells a waiter when one sent after
// a given moment is answered by a given slot.
type poller struct {
	client   *http.Client
	url      string
	host     string
	requests atomic.Int64
	errors   atomic.Int64

	mu    sync.Mutex
	watch *watch
}

type watch struct {
	since time.Time
	slot  string
	seen  chan time.Time
}

func newPoller(url, host string) *poller {
	// One connection, kept alive, as a busy client holds.
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, DisableCompression: true}
	return &poller{client: &http.Client{Transport: tr, Timeout: 10 * time.Second}, url: url, host: host}
}

// expect returns a channel that gets the moment the first request sent at
// or after since is answered by slot.
func (p *poller) expect(since time.Time, slot string) <-chan time.Time {
	w := &watch{since: since, slot: slot, seen: make(chan time.Time, 1)}
	p.mu.Lock()
	p.watch = w
	p.mu.Unlock()
	return w.seen
}

// wait is expect for the start, when no operation runs.
func (p *poller) wait(since time.Time, slot string, timeout time.Duration) (time.Time, error) {
	select {
	case at := <-p.expect(since, slot):
		return at, nil
	case <-time.After(timeout):
		return time.Time{}, fmt.Errorf("no answer from slot %s within %s (%d requests, %d errors)", slot, timeout, p.requests.Load(), p.errors.Load())
	}
}

func (p *poller) run(ctx context.Context) {
	for ctx.Err() == nil {
		sent := time.Now()
		slot, err := p.get(ctx)
		done := time.Now()
		if err != nil {
			if ctx.Err() == nil {
				p.errors.Add(1)
				time.Sleep(time.Millisecond)
			}
			continue
		}
		p.requests.Add(1)
		p.mu.Lock()
		if w := p.watch; w != nil && !sent.Before(w.since) && slot == w.slot {
			w.seen <- done
			p.watch = nil
		}
		p.mu.Unlock()
	}
}

// get sends one request and returns the slot named in the answer (the demo
// application answers "service=... slot=blue ...").
func (p *poller) get(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return "", err
	}
	if p.host != "" {
		req.Host = p.host
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("answer %s", resp.Status)
	}
	for _, f := range strings.Fields(string(b)) {
		if slot, ok := strings.CutPrefix(f, "slot="); ok {
			return slot, nil
		}
	}
	return "", fmt.Errorf("no slot= in the answer %q", b)
}

// summarize turns visible, call and swap samples into percentiles.
func summarize(s *[3][]float64) Summary {
	for _, v := range s {
		slices.Sort(v)
	}
	return Summary{
		Count:      len(s[0]),
		VisibleP50: pct(s[0], 0.50),
		VisibleP99: pct(s[0], 0.99),
		VisibleMax: pct(s[0], 1),
		CallP50:    pct(s[1], 0.50),
		CallP99:    pct(s[1], 0.99),
		SwapP50:    pct(s[2], 0.50),
		SwapP99:    pct(s[2], 0.99),
	}
}

// pct is the nearest-rank percentile of sorted values.
func pct(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }
