package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMaintenance_VisitorsGetThePageProxyHealthStillPassesAndItSurvivesARestart(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{service: `
  maintenance { retry_after = "2m" }`})
	s.liveOn("blue")
	stop := make(chan struct{})
	rep, wg := s.runLoad(4, stop)

	s.must("maintenance", "on", "demo", "--message", "Back at 14:00")
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	resp, body := s.request("demo.test", "/")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "120" || !strings.Contains(body, "Back at 14:00") {
		t.Fatalf("in maintenance: %d Retry-After %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp, body := s.request("demo.test", "/.deploy/health"); resp.StatusCode != 200 {
		t.Fatalf("the proxy's own health path must pass in maintenance: %d %s", resp.StatusCode, body)
	}
	if st := s.statusRaw(); st["maintenance"] == nil {
		t.Errorf("status should show maintenance: %v", st)
	}

	// A restarted controller comes back in maintenance.
	s.stop(syscall.SIGTERM)
	s.start()
	if resp, _ := s.request("demo.test", "/"); resp.StatusCode != 503 {
		t.Fatalf("after a restart the site must still be in maintenance: %d", resp.StatusCode)
	}
	s.must("maintenance", "off", "demo")
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "blue" {
		t.Fatalf("after maintenance off: %q %v", slot, err)
	}
	rep.mu.Lock()
	defer rep.mu.Unlock()
	if len(rep.failures) == 0 {
		t.Error("the load saw no maintenance page")
	}
	for _, f := range rep.failures {
		if !strings.Contains(f.what, "status 503") || !strings.Contains(f.what, "Back at 14:00") {
			t.Errorf("a request failed otherwise than with the maintenance page: %s", f.what)
		}
	}
	_, errOut, code := s.run("maintenance", "sideways", "demo")
	if code != 2 || !strings.Contains(errOut, "say on or off") {
		t.Errorf("bad mode: exit %d %q", code, errOut)
	}
}

// request sends one GET through the proxy and returns the response and body.
func (s *site) request(host, path string) (*http.Response, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.proxyURL+path, nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestPause_HeldRequestsCompleteAfterResumeOnTheNewSlotAndNoneIsLost(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{})
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")

	s.must("pause", "demo", "--max", "60s")
	const held = 30
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers = map[string]int{}
		errs    []string
	)
	for range held {
		wg.Go(func() {
			slot, err := s.get(&http.Client{Timeout: 90 * time.Second}, "/")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err.Error())
				return
			}
			answers[slot]++
		})
	}
	waitFor(t, "every request to be held", func() bool {
		p, _ := s.statusRaw()["pause"].(map[string]any)
		return p != nil && p["waiting"] == float64(held)
	})
	s.must("switch", "demo", "--to", "green")
	out := s.must("resume", "demo")
	wg.Wait()
	if len(errs) > 0 || answers["green"] != held {
		t.Fatalf("held requests after resume: %v, errors %v; want all %d from green", answers, errs, held)
	}
	if !strings.Contains(out, fmt.Sprintf("released %d", held)) {
		t.Errorf("resume output: %q", out)
	}

	// A request held past --max gets a 503; it is not lost silently.
	s.must("pause", "demo", "--max", "300ms")
	resp, _ := s.request("demo.test", "/")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a request held past max: %d", resp.StatusCode)
	}
	s.must("resume", "demo")
	if _, errOut, code := s.run("resume", "demo"); code != 1 || !strings.Contains(errOut, "not paused") {
		t.Errorf("resume when not paused: exit %d %q", code, errOut)
	}
}

func TestRelease_NeedingAMigrationIsRefusedUnlessItWalksTheMaintenancePath(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "migrated")
	s := newSite(t, siteOptions{service: checksHCL + fmt.Sprintf(`
  migrate {
    command = ["sh", "-c", "echo \"$RELEASE $SLOT $(cat README)\" > %s"]
  }`, marker)})
	s.liveOn("blue")
	s.must("build", appTree(t, ""), "--release", "m1", "--needs-migration")

	_, errOut, code := s.run("release", "demo", "--release", "m1", "--yes")
	if code != 5 || !strings.Contains(errOut, "needs a data migration") || !strings.Contains(errOut, "--maintenance") {
		t.Fatalf("a release needing a migration without --maintenance: exit %d, want 5 with the way out: %q", code, errOut)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the refused release ran its migration")
	}
	// deploy up refuses it beside a running slot just as well.
	if _, errOut, code := s.run("up", "demo", "--slot", "green", "--release", "m1"); code != 1 || !strings.Contains(errOut, "needs a data migration") {
		t.Fatalf("up of a release needing a migration beside blue: exit %d %q", code, errOut)
	}

	out, errOut, code := s.run("release", "demo", "--release", "m1", "--maintenance", "--message", "Upgrading", "--json")
	if code != 0 {
		t.Fatalf("release through maintenance: exit %d\n%s%s\n%s", code, out, errOut, s.serveLog)
	}
	want := "maintenance on,stop old slots,migrate,up,checks,switch,maintenance off"
	if steps := strings.Join(okSteps(parseEvents(t, out)), ","); steps != want {
		t.Errorf("steps: %s\nwant:  %s", steps, want)
	}
	b, err := os.ReadFile(marker)
	if err != nil || strings.TrimSpace(string(b)) != "m1 green demo release" {
		t.Fatalf("the migrate command should run in the new release with its variables: %q %v", b, err)
	}
	st := s.status()
	if st.Live != "green" {
		t.Fatalf("live after the migration: %s", st.Live)
	}
	for _, sl := range st.Slots {
		if sl.Slot == "blue" && sl.Status != "stopped" {
			t.Errorf("the old code must not run beside the migrated data: blue is %s", sl.Status)
		}
	}
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "green" {
		t.Fatalf("after maintenance off: %q %v", slot, err)
	}
	var ops []string
	for _, e := range s.history() {
		ops = append(ops, fmt.Sprint(e["op"]))
	}
	if !inOrder(ops, "maintenance on", "down", "migrate", "switch", "maintenance off", "release") {
		t.Errorf("history order: %s", strings.Join(ops, ","))
	}
}

func TestRelease_FailedMigrationLeavesMaintenanceOnAndSaysHowToGoOn(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{service: `
  migrate {
    command = ["sh", "-c", "echo schema conflict in table users; exit 3"]
  }`})
	s.liveOn("blue")
	s.must("build", appTree(t, ""), "--release", "m2", "--needs-migration")
	_, errOut, code := s.run("release", "demo", "--release", "m2", "--maintenance", "--yes")
	if code != 1 {
		t.Fatalf("failed migration: exit %d, want 1: %s", code, errOut)
	}
	for _, want := range []string{`step "migrate"`, "schema conflict in table users", "maintenance is still on", "to go on", "deploy up demo --slot blue, then deploy maintenance off demo"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the failure should say %q:\n%s", want, errOut)
		}
	}
	if resp, _ := s.request("demo.test", "/"); resp.StatusCode != 503 {
		t.Fatalf("visitors must still get the maintenance page: %d", resp.StatusCode)
	}
	// The way back the error gave: the old code in the old slot, then
	// maintenance off.
	if st := s.status(); st.Live != "blue" || st.Slots[0].Status != "stopped" {
		t.Fatalf("after the failed migration: live %s, blue %s", st.Live, st.Slots[0].Status)
	}
	s.must("up", "demo", "--slot", "blue")
	s.must("maintenance", "off", "demo")
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "blue" {
		t.Fatalf("after going back: %q %v", slot, err)
	}
}

func TestHealth_AStoppedInstanceLeavesRotationAndComesBack(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{service: `
  health {
    interval = "200ms"
    timeout  = "100ms"
    fall     = 2
    rise     = 2
  }`})
	s.liveOn("blue")
	pid := s.status().pids("blue")[0]
	instance := func() map[string]any {
		for _, sl := range s.statusRaw()["slots"].([]any) {
			sl := sl.(map[string]any)
			if sl["slot"] == "blue" {
				return sl["instances"].([]any)[0].(map[string]any)
			}
		}
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(pid, syscall.SIGCONT)
	waitFor(t, "instance 1 to leave rotation", func() bool {
		in := instance()
		return in["healthy"] == false && in["probe_error"] != nil
	})
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 20 {
		if slot, err := s.get(client, "/"); err != nil || slot != "blue" {
			t.Fatalf("request %d with instance 1 out of rotation: %q %v", i, slot, err)
		}
	}
	out := s.must("status", "demo")
	if !strings.Contains(out, "unhealthy") {
		t.Errorf("status should show the unhealthy instance and why:\n%s", out)
	}
	syscall.Kill(pid, syscall.SIGCONT)
	waitFor(t, "instance 1 to come back", func() bool { return instance()["healthy"] == true })
	_ = json.Valid
}

// inOrder reports whether want appears in ops as a subsequence.
func inOrder(ops []string, want ...string) bool {
	for _, op := range ops {
		if len(want) > 0 && op == want[0] {
			want = want[1:]
		}
	}
	return len(want) == 0
}
