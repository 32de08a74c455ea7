package proxy

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// scraped is what one scrape of a proxy's collector gathered, by family name.
type scraped map[string]*dto.MetricFamily

// scrape registers the proxy's collector in a registry of its own, which
// checks every metric against its description, and gathers it.
func scrape(t *testing.T, p *Proxy) scraped {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(p.Collector()); err != nil {
		t.Fatal(err)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := scraped{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// sum adds up the series of a family whose labels include the given name,
// value pairs; a histogram series adds its sample count.
func (s scraped) sum(name string, labels ...string) float64 {
	var total float64
	for _, m := range s[name].GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

// series counts the series of a family whose labels include the pairs.
func (s scraped) series(name string, labels ...string) int {
	n := 0
	for _, m := range s[name].GetMetric() {
		if hasLabels(m, labels) {
			n++
		}
	}
	return n
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// requestsObserved waits until the proxy has observed n requests sent to
// slots: a client can read a whole response a moment before the handler
// that sent it returns.
func requestsObserved(t *testing.T, p *Proxy, n float64) scraped {
	t.Helper()
	var s scraped
	waitFor(t, func() bool {
		s = scrape(t, p)
		return s.sum("deploy_proxy_requests_total") >= n
	})
	return s
}

func TestMetrics_RequestsPerSlotAddUpToTheRequestsSent(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	good, goodHits := statusBackend(t, "good", always(200))
	flaky, flakyHits := statusBackend(t, "flaky", func(n int64) int {
		if n%4 == 0 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	mustSwitch(t, p, "a", "blue", good, flaky)
	base := testProxy(t, p)

	const n = 40
	for range n {
		get(t, http.DefaultClient, base, "a.example", "/")
	}
	s := requestsObserved(t, p, n)

	if got := s.sum("deploy_proxy_requests_total", "service", "a", "slot", "blue"); got != n {
		t.Errorf("requests of slot blue: %v, want %d", got, n)
	}
	wantFlaky5xx := float64(flakyHits.Load() / 4)
	for _, c := range []struct {
		instance, code string
		want           float64
	}{
		{good, "2xx", float64(goodHits.Load())},
		{good, "5xx", 0},
		{flaky, "2xx", float64(flakyHits.Load()) - wantFlaky5xx},
		{flaky, "5xx", wantFlaky5xx},
		{"", "2xx", 0},
		{"", "5xx", 0},
	} {
		if got := s.sum("deploy_proxy_requests_total", "slot", "blue", "instance", c.instance, "code", c.code); got != c.want {
			t.Errorf("instance %q, %s: %v, want %v", c.instance, c.code, got, c.want)
		}
	}
	if wantFlaky5xx == 0 {
		t.Error("the flaky instance answered no 500: the test proves nothing about classes")
	}
	if got := s.series("deploy_proxy_requests_total", "instance", good); got != len(statusClasses) {
		t.Errorf("%d series for one instance, want one per class (%d)", got, len(statusClasses))
	}
	if got := s.sum("deploy_proxy_request_duration_seconds", "slot", "blue"); got != n {
		t.Errorf("duration samples of slot blue: %v, want %d", got, n)
	}
	waitFor(t, func() bool { return scrape(t, p).sum("deploy_proxy_in_flight", "slot", "blue") == 0 })
}

func TestMetrics_InFlightCountsARequestWhileItIsServed(t *testing.T) {
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "held")
	}))
	t.Cleanup(backend.Close)
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", backend.Listener.Addr().String())
	base := testProxy(t, p)

	done := make(chan int)
	go func() {
		resp, err := http.DefaultClient.Do(newRequest(t, http.MethodGet, base, "a.example", "/"))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	waitFor(t, func() bool { return p.InFlight("a", "blue") == 1 })
	if got := scrape(t, p).sum("deploy_proxy_in_flight", "service", "a", "slot", "blue"); got != 1 {
		t.Errorf("in flight while held: %v, want 1", got)
	}
	close(release)
	if code := <-done; code != http.StatusOK {
		t.Fatalf("held request: %d", code)
	}
	waitFor(t, func() bool { return scrape(t, p).sum("deploy_proxy_in_flight", "slot", "blue") == 0 })
	if got := requestsObserved(t, p, 1).sum("deploy_proxy_requests_total", "code", "2xx"); got != 1 {
		t.Errorf("2xx after the held request: %v, want 1", got)
	}
}

func TestMetrics_ASwitchMovesTheCountsToTheNewSlotAndTheOldSlotKeepsItsOwn(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	base := testProxy(t, p)
	getN(t, base, 10)
	requestsObserved(t, p, 10)

	mustSwitch(t, p, "a", "green", testBackend(t, "green"))
	getN(t, base, 7)
	s := requestsObserved(t, p, 17)
	if blue, green := s.sum("deploy_proxy_requests_total", "slot", "blue"), s.sum("deploy_proxy_requests_total", "slot", "green"); blue != 10 || green != 7 {
		t.Errorf("after the switch: blue %v, green %v; want 10 and 7", blue, green)
	}

	p.Forget("a", "blue")
	s = scrape(t, p)
	if n := s.series("deploy_proxy_requests_total", "slot", "blue"); n != 0 {
		t.Errorf("%d series of the forgotten slot", n)
	}
	if got := s.sum("deploy_proxy_requests_total", "slot", "green"); got != 7 {
		t.Errorf("green after blue was forgotten: %v, want 7", got)
	}
}

func TestMetrics_TheProxysOwnAnswersCountUnderTheirReason(t *testing.T) {
	p := New(Options{HealthPath: "/healthz"})
	p.Configure([]Service{
		{Name: "idle", Hosts: []string{"idle.example"}},
		{Name: "down", Hosts: []string{"down.example"}},
		{Name: "held", Hosts: []string{"held.example"}},
	})
	mustSwitch(t, p, "down", "blue", testBackend(t, "down"))
	mustSwitch(t, p, "held", "blue", testBackend(t, "held"))
	if err := p.SetMaintenance("down", true, Page{}); err != nil {
		t.Fatal(err)
	}
	if err := p.Pause("held", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	base := testProxy(t, p)

	for _, c := range []struct {
		host, path string
		want       int
	}{
		{"nobody.example", "/", http.StatusNotFound},
		{"idle.example", "/", http.StatusServiceUnavailable},
		{"down.example", "/", http.StatusServiceUnavailable},
		{"down.example", "/again", http.StatusServiceUnavailable},
		{"held.example", "/", http.StatusServiceUnavailable},
		{"nobody.example", "/healthz", http.StatusOK},
	} {
		if code, _ := get(t, http.DefaultClient, base, c.host, c.path); code != c.want {
			t.Fatalf("%s%s: %d, want %d", c.host, c.path, code, c.want)
		}
	}

	var s scraped
	waitFor(t, func() bool {
		s = scrape(t, p)
		return s.sum("deploy_proxy_replies_total") == 6
	})
	for reason, want := range map[string]float64{
		"no_service": 1, "no_live_slot": 1, "maintenance": 2, "paused_too_long": 1, "health": 1,
	} {
		if got := s.sum("deploy_proxy_replies_total", "reason", reason); got != want {
			t.Errorf("replies for %s: %v, want %v", reason, got, want)
		}
	}
	if got := s.sum("deploy_proxy_requests_total"); got != 0 {
		t.Errorf("the proxy's own answers counted as requests sent to slots: %v", got)
	}
}

func TestMetrics_ABackendErrorCountsUnderNoInstanceAndAsAnUpstreamError(t *testing.T) {
	p := New(Options{Logger: slog.New(slog.DiscardHandler)})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	dead := deadAddr(t)
	mustSwitch(t, p, "a", "blue", dead)
	base := testProxy(t, p)
	if code, _ := get(t, http.DefaultClient, base, "a.example", "/"); code != http.StatusBadGateway {
		t.Fatalf("request to a dead instance: %d, want 502", code)
	}
	s := requestsObserved(t, p, 1)
	if got := s.sum("deploy_proxy_requests_total", "slot", "blue", "instance", "", "code", "5xx"); got != 1 {
		t.Errorf(`5xx under instance="": %v, want 1`, got)
	}
	if got := s.sum("deploy_proxy_requests_total", "instance", dead); got != 0 {
		t.Errorf("requests counted for the dead instance: %v", got)
	}
	if got := s.sum("deploy_proxy_upstream_errors_total", "slot", "blue", "instance", dead); got != 1 {
		t.Errorf("upstream errors of the dead instance: %v, want 1", got)
	}
}

func TestMetrics_ARequestRetriedOnASiblingCountsForTheSiblingThatAnswered(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	dead, live := deadAddr(t), testBackend(t, "live")
	mustSwitch(t, p, "a", "blue", dead, live)
	base := testProxy(t, p)
	// Round robin sends one of the two to the dead instance first.
	getN(t, base, 2)
	s := requestsObserved(t, p, 2)
	if got := s.sum("deploy_proxy_requests_total", "instance", live, "code", "2xx"); got != 2 {
		t.Errorf("2xx of the sibling: %v, want 2", got)
	}
	if got := s.sum("deploy_proxy_requests_total", "instance", dead) + s.sum("deploy_proxy_requests_total", "instance", ""); got != 0 {
		t.Errorf("requests counted for the dead instance or none: %v", got)
	}
	if got := s.sum("deploy_proxy_upstream_errors_total", "instance", dead); got != 1 {
		t.Errorf("upstream errors of the dead instance: %v, want 1", got)
	}
}

func TestMetrics_AddressListedTwiceIsOneSeriesAndTheScrapeStaysValid(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	addr := testBackend(t, "blue")
	mustSwitch(t, p, "a", "blue", addr, addr)
	base := testProxy(t, p)
	getN(t, base, 3)
	s := requestsObserved(t, p, 3)
	if got := s.sum("deploy_proxy_requests_total", "instance", addr, "code", "2xx"); got != 3 {
		t.Errorf("2xx of the address: %v, want 3", got)
	}
}

func TestMetrics_PassPrometheusLint(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	problems, err := testutil.CollectAndLint(p.Collector())
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Errorf("%s: %s", pr.Metric, pr.Text)
	}
}

func TestMetrics_ACollectorScrapedDuringTrafficAndSwitchesStaysConsistent(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	blue, green := testBackend(t, "blue"), testBackend(t, "green")
	mustSwitch(t, p, "a", "blue", blue)
	base := testProxy(t, p)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	traffic := make(chan struct{})
	go func() {
		defer close(traffic)
		for ctx.Err() == nil {
			resp, err := http.DefaultClient.Do(newRequest(t, http.MethodGet, base, "a.example", "/"))
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	for i := range 50 {
		mustSwitch(t, p, "a", []string{"blue", "green"}[i%2], []string{blue, green}[i%2])
		scrape(t, p)
	}
	stop()
	<-traffic
}
