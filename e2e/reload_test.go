package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
)

// rewriteConfig applies edit to the site's configuration file.
func (s *site) rewriteConfig(edit func(string) string) {
	s.t.Helper()
	b, err := os.ReadFile(s.config)
	if err != nil {
		s.t.Fatal(err)
	}
	next := edit(string(b))
	if next == string(b) {
		s.t.Fatal("the edit changed nothing in the configuration")
	}
	if err := os.WriteFile(s.config, []byte(next), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// controllerHistory returns every entry of the controller's history.
func (s *site) controllerHistory() []map[string]any {
	s.t.Helper()
	var h []map[string]any
	if err := json.Unmarshal([]byte(s.must("history", "--limit", "0", "--json")), &h); err != nil {
		s.t.Fatal(err)
	}
	return h
}

// lastControllerEntry returns the last entry of an operation in the whole
// history.
func (s *site) lastControllerEntry(op string) map[string]any {
	s.t.Helper()
	h := s.controllerHistory()
	for i := len(h) - 1; i >= 0; i-- {
		if h[i]["op"] == op {
			return h[i]
		}
	}
	s.t.Fatalf("no %q entry in history: %v", op, h)
	return nil
}

// statusOfHost sends one request through the proxy for host and returns its
// status code and body.
func (s *site) statusOfHost(host string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.proxyURL+"/", nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// otherService is a second service with its own slots, for reloads that add
// one.
func otherService(t *testing.T) string {
	return fmt.Sprintf(`
service "other" {
  hosts     = ["other.test"]
  instances = 1
  slot "blue" { base_port = %d }
  slot "green" { base_port = %d }
  stack {
    command = [%q]
    ready { path = "/healthz" }
  }
}
`, freePorts(t, 1), freePorts(t, 1), demoAppBin)
}

func TestReload_UnderLoadAddsAServiceAndAHostThenSIGHUPRemovesItWithoutAFailedRequest(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{})
	s.liveOn("blue")
	stop := make(chan struct{})
	rep, wg := s.runLoad(16, stop)

	if code, _ := s.statusOfHost("extra.test"); code != http.StatusOK {
		// The demo service is the default one, so every host reaches it
		// until another service claims the host.
		t.Fatalf("extra.test before the reload: %d", code)
	}
	other := otherService(t)
	s.rewriteConfig(func(c string) string {
		return strings.Replace(c, `hosts         = ["demo.test"]`, `hosts         = ["demo.test", "www.demo.test"]`, 1) + other
	})
	out := s.must("reload")
	if !strings.Contains(out, "added other") || !strings.Contains(out, "changed demo") {
		t.Fatalf("reload said %q, want the added and the changed service", out)
	}
	if code, body := s.statusOfHost("www.demo.test"); code != http.StatusOK || !strings.Contains(body, "service=demo") {
		t.Fatalf("www.demo.test after the reload: %d %q", code, body)
	}
	// The new service owns its host at once; it has no live slot yet.
	if code, _ := s.statusOfHost("other.test"); code != http.StatusServiceUnavailable {
		t.Fatalf("other.test after the reload: %d, want 503 until a slot of other is live", code)
	}
	s.must("up", "other", "--slot", "blue")
	s.must("check", "other", "--slot", "blue")
	// Reloads of an unchanged file while requests flow.
	for range 20 {
		s.must("reload")
	}
	// A service whose slot runs cannot be removed.
	s.rewriteConfig(func(c string) string { return strings.Replace(c, other, "", 1) })
	if _, errOut, code := s.run("reload"); code != 1 || !strings.Contains(errOut, "service other is removed but its slots blue run") {
		t.Fatalf("reload removing a running service: exit %d\n%s", code, errOut)
	}
	s.must("down", "other", "--slot", "blue")

	s.serve.Process.Signal(syscall.SIGHUP)
	waitFor(t, "SIGHUP to remove service other", func() bool {
		code, body := s.statusOfHost("other.test")
		return code == http.StatusOK && strings.Contains(body, "service=demo")
	})
	close(stop)
	wg.Wait()
	if len(rep.failures) > 0 {
		t.Fatalf("%d requests failed during reloads, first: %+v", len(rep.failures), rep.failures[0])
	}
	if rep.bySlot["blue"] == 0 {
		t.Fatalf("no request reached blue: %v", rep.bySlot)
	}
	t.Logf("requests during 22 reloads: %v, 0 failed", rep.bySlot)
	if e := s.lastControllerEntry("reload"); e["result"] != "ok" || e["actor"] != "SIGHUP" || !strings.Contains(fmt.Sprint(e["detail"]), "removed other") {
		t.Fatalf("history of the SIGHUP reload: %v", e)
	}
}

func TestReload_AConfigWithErrorsOrRestartOnlyChangesIsRejectedWholeAndNothingChanges(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{})
	s.liveOn("blue")
	socket := s.dir + "/state/control.sock"
	good, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}

	// A new host and a bad setting in one file: neither is applied.
	s.rewriteConfig(func(c string) string {
		c = strings.Replace(c, `hosts         = ["demo.test"]`, `hosts         = ["demo.test", "new.demo.test"]`, 1)
		return strings.Replace(c, `drain_timeout = "10s"`, `drain_timeout = "ten seconds"`, 1)
	})
	_, errOut, code := s.run("reload", "--socket", socket)
	if code != 2 || !strings.Contains(errOut, "deploy.hcl:") || !strings.Contains(errOut, "nothing was reloaded") {
		t.Fatalf("reload of a broken file: exit %d\n%s", code, errOut)
	}
	// SIGHUP with the same file: refused in the log, the site serves on.
	s.serve.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the refused SIGHUP reload in the log", func() bool {
		return strings.Contains(s.serveLog.String(), "reload refused")
	})
	if _, err := s.get(http.DefaultClient, "/"); err != nil {
		t.Fatalf("the site after a refused reload: %v", err)
	}

	// A change only a restart can make.
	if err := os.WriteFile(s.config, good, 0o644); err != nil {
		t.Fatal(err)
	}
	s.rewriteConfig(func(c string) string {
		return strings.Replace(c, "proxy {\n", "proxy {\n  health_path = \"/elsewhere\"\n", 1)
	})
	_, errOut, code = s.run("reload", "--socket", socket)
	if code != 1 || !strings.Contains(errOut, "the proxy block") || !strings.Contains(errOut, "restart the controller") {
		t.Fatalf("reload of a restart-only change: exit %d\n%s", code, errOut)
	}

	// Moving a running slot's ports.
	if err := os.WriteFile(s.config, good, 0o644); err != nil {
		t.Fatal(err)
	}
	s.rewriteConfig(func(c string) string {
		i := strings.Index(c, `slot "blue"  { base_port = `)
		return c[:i] + `slot "blue"  { base_port = 1 }` + c[strings.Index(c[i:], "}")+i+1:]
	})
	_, errOut, code = s.run("reload", "--socket", socket)
	if code != 1 || !strings.Contains(errOut, "slot blue of demo moves from base_port") {
		t.Fatalf("reload moving a running slot: exit %d\n%s", code, errOut)
	}

	if hosts := fmt.Sprint(s.statusRaw()["hosts"]); hosts != "[demo.test]" {
		t.Fatalf("hosts of demo after rejected reloads: %s", hosts)
	}
	if st := s.status(); st.Live != "blue" {
		t.Fatalf("live after rejected reloads: %q", st.Live)
	}
	var refused int
	for _, e := range s.controllerHistory() {
		if e["op"] == "reload" && e["result"] != "ok" {
			refused++
		}
	}
	if refused != 4 {
		t.Fatalf("history has %d refused reloads, want 4", refused)
	}
}
