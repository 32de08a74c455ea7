package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the controller's metrics endpoint.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mfs
}

// sum adds the values of a family's series whose labels include match.
func sum(mfs map[string]*dto.MetricFamily, name string, match map[string]string) float64 {
	mf := mfs[name]
	if mf == nil {
		return -1
	}
	var total float64
series:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range match {
			if labels[k] != v {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Histogram != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total
}

// accessLines reads the access log's JSON lines.
func accessLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("access log line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, line)
	}
	return out
}

// sendRequests sends n requests through the proxy and wants every one
// answered by slot.
func (s *site) sendRequests(n int, slot string) {
	s.t.Helper()
	for range n {
		got, err := s.get(http.DefaultClient, "/")
		if err != nil || got != slot {
			s.t.Fatalf("request through the proxy: %q %v, want an answer from %s", got, err, slot)
		}
	}
}

func TestMetrics_CountsPerSlotAddUpToTheRequestsSentAndSwitchesAreCounted(t *testing.T) {
	t.Parallel()
	addr := fmt.Sprintf("127.0.0.1:%d", freePorts(t, 1))
	s := newSite(t, siteOptions{control: fmt.Sprintf("metrics { listen = %q }", addr)})
	s.liveOn("blue")
	s.sendRequests(200, "blue")
	s.liveOn("green")
	s.sendRequests(100, "green")
	s.must("rollback", "demo")
	s.sendRequests(50, "blue")

	mfs := scrape(t, addr)
	for slot, want := range map[string]float64{"blue": 250, "green": 100} {
		match := map[string]string{"service": "demo", "slot": slot}
		if got := sum(mfs, "deploy_proxy_requests_total", match); got != want {
			t.Errorf("requests_total of %s: %v, want %v", slot, got, want)
		}
		if got := sum(mfs, "deploy_proxy_requests_total", map[string]string{"service": "demo", "slot": slot, "code": "2xx"}); got != want {
			t.Errorf("2xx of %s: %v, want %v", slot, got, want)
		}
		if got := sum(mfs, "deploy_proxy_request_duration_seconds", match); got != want {
			t.Errorf("latency samples of %s: %v, want %v", slot, got, want)
		}
	}
	if got := sum(mfs, "deploy_proxy_in_flight", map[string]string{"service": "demo"}); got != 0 {
		t.Errorf("in flight at rest: %v", got)
	}
	for op, want := range map[string]float64{"switch": 2, "rollback": 1, "up": 2} {
		if got := sum(mfs, "deploy_operations_total", map[string]string{"service": "demo", "op": op, "result": "ok"}); got != want {
			t.Errorf("operations_total op=%s: %v, want %v", op, got, want)
		}
		if got := sum(mfs, "deploy_operation_duration_seconds", map[string]string{"service": "demo", "op": op}); got != want {
			t.Errorf("operation_duration samples op=%s: %v, want %v", op, got, want)
		}
	}
	if got := sum(mfs, "deploy_slot_live", map[string]string{"service": "demo", "slot": "blue"}); got != 1 {
		t.Errorf("slot_live of blue: %v, want 1", got)
	}
	if got := sum(mfs, "deploy_slot_live", map[string]string{"service": "demo", "slot": "green"}); got != 0 {
		t.Errorf("slot_live of green: %v, want 0", got)
	}
	if got := sum(mfs, "deploy_instance_up", map[string]string{"service": "demo", "slot": "blue"}); got != 2 {
		t.Errorf("instance_up of blue: %v, want 2", got)
	}
	if got := sum(mfs, "process_resident_memory_bytes", nil); got <= 0 {
		t.Errorf("process metrics missing: %v", got)
	}
}

func TestAccessLog_OneLinePerRequestReopenedOnSIGUSR2AndMovedByAReload(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{proxy: `access_log { path = "access.log" }`})
	path := filepath.Join(s.dir, "access.log")
	s.liveOn("blue")
	s.sendRequests(30, "blue")
	waitFor(t, "30 lines in the access log", func() bool { return len(accessLines(t, path)) == 30 })
	line := accessLines(t, path)[0]
	for k, want := range map[string]any{"service": "demo", "slot": "blue", "method": "GET", "host": "demo.test", "uri": "/", "status": float64(200)} {
		if line[k] != want {
			t.Errorf("access log %s = %v, want %v (line %v)", k, line[k], want, line)
		}
	}
	if inst, _ := line["instance"].(string); !strings.HasPrefix(inst, "127.0.0.1:") {
		t.Errorf("access log instance = %v, want the instance's address", line["instance"])
	}

	// logrotate's move, then its postrotate signal.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	s.serve.Process.Signal(syscall.SIGUSR2)
	waitFor(t, "a fresh access log after SIGUSR2", func() bool {
		_, err := os.Stat(path)
		return err == nil
	})
	s.sendRequests(5, "blue")
	waitFor(t, "5 lines in the fresh access log", func() bool { return len(accessLines(t, path)) == 5 })
	if n := len(accessLines(t, path+".1")); n != 30 {
		t.Errorf("the rotated file has %d lines, want the 30 written before", n)
	}

	moved := filepath.Join(s.dir, "moved.log")
	s.rewriteConfig(func(c string) string {
		return strings.Replace(c, `access_log { path = "access.log" }`, `access_log { path = "moved.log" }`, 1)
	})
	s.must("reload")
	s.sendRequests(7, "blue")
	waitFor(t, "7 lines in the access log the reload named", func() bool {
		_, err := os.Stat(moved)
		return err == nil && len(accessLines(t, moved)) == 7
	})
	if n := len(accessLines(t, path)); n != 5 {
		t.Errorf("the old access log got %d lines after the reload, want 5", n)
	}
}
