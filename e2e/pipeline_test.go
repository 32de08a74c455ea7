package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"deploy/internal/lockedbuffer"
	"deploy/internal/testwait"
)

// appTree writes a release tree for the demo app (which the config runs by
// absolute path, in the unpacked release). failAfter, when not "", makes
// every instance of the release answer 500 after that many requests.
func appTree(t *testing.T, failAfter string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "build")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("demo release\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if failAfter != "" {
		if err := os.WriteFile(filepath.Join(dir, "fail-after"), []byte(failAfter+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checksHCL are the checks most pipeline tests run: the front page must
// answer 200 and name the service, and every instance must accept TCP.
const checksHCL = `
  check "home" {
    http {
      path          = "/"
      status        = [200]
      body_contains = "service=demo"
    }
    retries  = 1
    interval = "200ms"
  }
  check "port" {
    tcp {}
  }`

// events decodes the JSON lines a release --json printed.
type releaseEvent struct {
	Step *struct {
		Step    string `json:"step"`
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"step"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Kind    string `json:"kind"`
		Message string `json:"error"`
		Hint    string `json:"hint"`
		Checks  []struct {
			Check   string `json:"check"`
			Target  string `json:"target"`
			Via     string `json:"via"`
			OK      bool   `json:"ok"`
			Message string `json:"message"`
		} `json:"checks"`
	} `json:"error"`
}

func parseEvents(t *testing.T, out string) []releaseEvent {
	t.Helper()
	var evs []releaseEvent
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var ev releaseEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("release --json printed a line that is not JSON: %q: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// okSteps lists the steps that ended well, in order.
func okSteps(evs []releaseEvent) []string {
	var out []string
	for _, ev := range evs {
		if ev.Step != nil && ev.Step.Status == "ok" {
			out = append(out, ev.Step.Step)
		}
	}
	return out
}

// history returns the demo service's history entries.
func (s *site) history() []map[string]any {
	s.t.Helper()
	var h []map[string]any
	if err := json.Unmarshal([]byte(s.must("history", "demo", "--limit", "0", "--json")), &h); err != nil {
		s.t.Fatal(err)
	}
	return h
}

// lastEntry returns the last history entry of an operation.
func (s *site) lastEntry(op string) map[string]any {
	s.t.Helper()
	h := s.history()
	for i := len(h) - 1; i >= 0; i-- {
		if h[i]["op"] == op {
			return h[i]
		}
	}
	s.t.Fatalf("no %q entry in history: %v", op, h)
	return nil
}

func TestRelease_FailingCheckSwitchesNothingAndNamesTheCheck(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{service: checksHCL})
	s.liveOn("blue")
	s.must("build", appTree(t, "0"), "--release", "broken")

	out, errOut, code := s.run("release", "demo", "--release", "broken", "--json", "--yes")
	if code != 3 {
		t.Fatalf("release of a release failing its checks: exit %d, want 3\n%s%s", code, out, errOut)
	}
	evs := parseEvents(t, out)
	last := evs[len(evs)-1]
	if last.Error == nil || last.Error.Kind != "checks_failed" {
		t.Fatalf("last event should be the checks_failed error: %s", out)
	}
	var sawDirect, sawPreview bool
	for _, r := range last.Error.Checks {
		if r.Check == "home" && !r.OK && strings.Contains(r.Message, "status 500") {
			sawDirect = sawDirect || (r.Via == "direct" && r.Target == "instance 1")
			sawPreview = sawPreview || r.Via == "proxy"
		}
	}
	if !sawDirect || !sawPreview {
		t.Fatalf("the report should name check home failing with status 500 on instance 1 and through the preview route: %s", out)
	}
	if !strings.Contains(last.Error.Message, "home") || !strings.Contains(last.Error.Message, "status 500") {
		t.Errorf("the error should say which check saw what: %q", last.Error.Message)
	}
	if st := s.status(); st.Live != "blue" {
		t.Fatalf("nothing may be switched after failed checks; live is %s", st.Live)
	}
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "blue" {
		t.Fatalf("visitors must still reach blue: %q %v", slot, err)
	}
	e := s.lastEntry("release")
	if e["result"] != "refused" || !strings.Contains(fmt.Sprint(e["checks"]), "home") {
		t.Errorf("history should record the refused release with its checks: %v", e)
	}

	// The same gate protects a plain switch, unless skipped (and recorded).
	_, errOut, code = s.run("switch", "demo", "--to", "green")
	if code != 3 || !strings.Contains(errOut, "home") {
		t.Fatalf("switch to a slot failing its checks: exit %d, want 3: %s", code, errOut)
	}
	s.must("switch", "demo", "--to", "green", "--skip-checks", "--reason", "looking at it")
	if e := s.lastEntry("switch"); !strings.Contains(fmt.Sprint(e["checks"]), "skipped") {
		t.Errorf("a switch with --skip-checks must say so in the history: %v", e)
	}
}

func TestCheck_ReportsEveryTargetAndExitsByTheResult(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "check-env")
	s := newSite(t, siteOptions{service: checksHCL + fmt.Sprintf(`
  check "env" {
    command = ["sh", "-c", "echo \"$SERVICE $SLOT $PORTS\" > %s"]
  }`, marker)})
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")

	out := s.must("check", "demo", "--slot", "green")
	for _, want := range []string{"home", "port", "env", "instance 1", "instance 2", "preview route", "6/6 passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(marker)
	if err != nil || !strings.HasPrefix(string(b), "demo green ") || len(strings.Fields(string(b))) != 4 {
		t.Errorf("the command check should see the slot's variables: %q %v", b, err)
	}
	var rep struct {
		OK      bool `json:"ok"`
		Results []struct {
			Via    string `json:"via"`
			Target string `json:"target"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(s.must("check", "demo", "--slot", "blue", "--json")), &rep); err != nil || !rep.OK {
		t.Fatalf("check --json of the live slot: %v %+v", err, rep)
	}
	if rep.Results[len(rep.Results)-1].Target == "preview route" {
		t.Errorf("the live slot is checked through the live route, not the preview: %+v", rep.Results)
	}
	_, errOut, code := s.run("check", "demo", "--slot", "nope")
	if code != 2 || !strings.Contains(errOut, "no slot") {
		t.Errorf("unknown slot: exit %d %q", code, errOut)
	}
}

// loadReport is what a load generator saw.
type loadReport struct {
	mu       sync.Mutex
	bySlot   map[string]int
	failures []loadFailure
}

type loadFailure struct {
	at   time.Time
	what string
}

// runLoad sends requests through the proxy with n clients until stop closes.
func (s *site) runLoad(n int, stop <-chan struct{}) (*loadReport, *sync.WaitGroup) {
	rep := &loadReport{bySlot: map[string]int{}}
	var wg sync.WaitGroup
	for range n {
		client := &http.Client{Timeout: 30 * time.Second}
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				slot, err := s.get(client, "/")
				rep.mu.Lock()
				if err != nil {
					rep.failures = append(rep.failures, loadFailure{time.Now(), err.Error()})
				} else {
					rep.bySlot[slot]++
				}
				rep.mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	return rep, &wg
}

func TestRelease_MisbehavingNewSlotIsRolledBackByItself(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{service: checksHCL + `
  rollback_when {
    error_rate   = 0.05
    min_requests = 20
  }`})
	s.liveOn("blue")
	// Each instance of "late" passes its checks, then answers 500 after 25
	// requests.
	s.must("build", appTree(t, "25"), "--release", "late")

	stop := make(chan struct{})
	rep, wg := s.runLoad(4, stop)
	out, errOut, code := s.run("release", "demo", "--release", "late", "--watch", "30s", "--yes", "--json")
	returned := time.Now()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()

	if code != 4 {
		t.Fatalf("release that starts failing while watched: exit %d, want 4\n%s%s\ncontroller:\n%s", code, out, errOut, s.serveLog)
	}
	evs := parseEvents(t, out)
	if steps := strings.Join(okSteps(evs), ","); steps != "up,checks,switch,rollback" {
		t.Errorf("steps that ended well: %s, want up,checks,switch,rollback", steps)
	}
	if last := evs[len(evs)-1]; last.Error == nil || last.Error.Kind != "rolled_back" || !strings.Contains(last.Error.Message, "error rate") {
		t.Fatalf("last event should explain the rollback: %s", out)
	}
	if st := s.status(); st.Live != "blue" || st.Previous != "green" {
		t.Fatalf("after the automatic rollback: live %s previous %s, want blue and green", st.Live, st.Previous)
	}
	e := s.lastEntry("rollback")
	if !strings.HasPrefix(fmt.Sprint(e["reason"]), "automatic: error rate") || e["result"] != "ok" {
		t.Errorf("history should say why it rolled back: %v", e)
	}
	if e := s.lastEntry("release"); e["result"] != "rolled_back" {
		t.Errorf("history of the release: %v", e)
	}

	rep.mu.Lock()
	defer rep.mu.Unlock()
	t.Logf("load during the release: %v answered, %d failed", rep.bySlot, len(rep.failures))
	if rep.bySlot["green"] == 0 || len(rep.failures) == 0 {
		t.Fatalf("the load should have reached green and seen its 500s: %v, %d failures", rep.bySlot, len(rep.failures))
	}
	for _, f := range rep.failures {
		if !strings.Contains(f.what, "slot=green") {
			t.Errorf("a failure that the bad release did not cause: %s", f.what)
		}
		if f.at.After(returned) {
			t.Errorf("a request failed after the rollback was done: %s", f.what)
		}
	}
}

func TestRelease_GoodReleaseGoesLiveAndTellsTheNotifiers(t *testing.T) {
	t.Parallel()
	var (
		mu       sync.Mutex
		received []map[string]any
	)
	hook := newHookServer(t, func(ev map[string]any) {
		mu.Lock()
		received = append(received, ev)
		mu.Unlock()
	})
	events := filepath.Join(t.TempDir(), "events")
	s := newSite(t, siteOptions{service: checksHCL + fmt.Sprintf(`
  warm_up {
    urls   = ["/", "/slow?ms=1"]
    rounds = 2
  }
  notify "hook" { webhook = %q }
  notify "log" {
    command = ["sh", "-c", "cat >> %s; echo >> %s"]
    events  = ["release"]
  }
  notify "broken" { command = ["sh", "-c", "exit 7"] }`, hook, events, events)})
	s.liveOn("blue")
	s.must("build", appTree(t, ""), "--release", "good")

	out, errOut, code := s.run("release", "demo", "--release", "good", "--watch", "1s", "--yes")
	if code != 0 {
		t.Fatalf("good release: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"up", "checks", "warm-up", "switch", "watch"} {
		if !strings.Contains(errOut, "[ok] "+want) {
			t.Errorf("progress lacks step %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "released good to green") {
		t.Errorf("result line: %q", out)
	}
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "green" {
		t.Fatalf("after the release: %q %v", slot, err)
	}
	waitFor(t, "the notifiers", func() bool {
		mu.Lock()
		n := len(received)
		mu.Unlock()
		b, _ := os.ReadFile(events)
		return n >= 2 && strings.Contains(string(b), `"event":"release"`) && hasOp(s.history(), "notify")
	})
	mu.Lock()
	kinds := map[string]bool{}
	for _, ev := range received {
		kinds[fmt.Sprint(ev["event"])] = true
		if ev["service"] != "demo" {
			t.Errorf("webhook event without the service: %v", ev)
		}
	}
	mu.Unlock()
	if !kinds["switch"] || !kinds["release"] {
		t.Errorf("the webhook should hear of the switch and the release: %v", kinds)
	}
	b, _ := os.ReadFile(events)
	if strings.Contains(string(b), `"event":"switch"`) {
		t.Errorf("the log notifier subscribed to release only, got: %s", b)
	}
	if e := s.lastEntry("notify"); e["result"] != "failed" || !strings.Contains(fmt.Sprint(e["detail"]), "broken") {
		t.Errorf("the failing notifier should be reported in the history: %v", e)
	}
	if e := s.lastEntry("release"); e["result"] != "ok" || e["release"] != "good" {
		t.Errorf("release history: %v", e)
	}
}

func hasOp(h []map[string]any, op string) bool {
	for _, e := range h {
		if e["op"] == op {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) { testwait.For(t, what, cond) }

// newHookServer runs a webhook receiver on loopback and returns its URL.
func newHookServer(t *testing.T, got func(map[string]any)) string {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &ev) == nil {
			got(ev)
		}
	})}
	port := freePorts(t, 1)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return fmt.Sprintf("http://127.0.0.1:%d/hook", port)
}

func TestRelease_TwoAtOnceOneIsRefusedAndARollbackInterruptsTheWatch(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{service: checksHCL})
	s.liveOn("blue")
	s.must("build", appTree(t, ""), "--release", "r1")

	first := exec.Command(deployBin, "release", "demo", "--release", "r1", "--watch", "2m", "--yes", "--config", s.config)
	var firstErr lockedbuffer.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first release to watch", func() bool { return strings.Contains(firstErr.String(), "[..] watch") })

	_, errOut, code := s.run("release", "demo", "--release", "r1", "--yes")
	if code != 5 || !strings.Contains(errOut, "busy: release of demo started by") {
		t.Fatalf("a second release at once: exit %d, want 5 and who holds the lock: %q", code, errOut)
	}

	// An operator's rollback is never refused because a pipeline watches.
	s.must("rollback", "demo", "--reason", "operator knows better")
	err := first.Wait()
	if first.ProcessState.ExitCode() != 1 || !strings.Contains(firstErr.String(), "interrupted") {
		t.Fatalf("the interrupted release: %v\n%s", err, firstErr.String())
	}
	if st := s.status(); st.Live != "blue" {
		t.Fatalf("the operator's rollback should stand: live %s", st.Live)
	}
}

func TestPreview_HostAndTokenReachTheIdleSlotAndLiveHostNever(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{service: `
  preview {
    hosts = ["preview.demo.test"]
    token = "a-very-long-preview-token"
  }`})
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")

	get := func(host, token string) string {
		req, _ := http.NewRequest(http.MethodGet, s.proxyURL+"/", nil)
		req.Host = host
		if token != "" {
			req.Header.Set("X-Deploy-Preview", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s (token %q): status %d %s", host, token, resp.StatusCode, b)
		}
		return slotOf(string(b))
	}
	for range 20 {
		if slot := get("preview.demo.test", ""); slot != "green" {
			t.Fatalf("preview host reached %s, want green", slot)
		}
		if slot := get("demo.test", "a-very-long-preview-token"); slot != "green" {
			t.Fatalf("preview token reached %s, want green", slot)
		}
		if slot := get("demo.test", ""); slot != "blue" {
			t.Fatalf("live host reached %s, want blue", slot)
		}
		if slot := get("demo.test", "wrong-token-of-the-same-size"); slot != "blue" {
			t.Fatalf("a wrong token reached %s, want the live blue", slot)
		}
	}
	if st := s.statusRaw(); st["preview"] != "green" {
		t.Errorf("status should name the preview slot: %v", st["preview"])
	}
	// After a switch the preview follows the slot that was live.
	s.must("switch", "demo", "--to", "green")
	if slot := get("preview.demo.test", ""); slot != "blue" {
		t.Fatalf("after the switch the preview should reach blue, got %s", slot)
	}
}

// statusRaw returns the demo service's status as a generic map.
func (s *site) statusRaw() map[string]any {
	s.t.Helper()
	var st []map[string]any
	if err := json.Unmarshal([]byte(s.must("status", "demo", "--json")), &st); err != nil || len(st) != 1 {
		s.t.Fatalf("status: %v", err)
	}
	return st[0]
}
