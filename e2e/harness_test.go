package e2e

import (
	"bytes"
	"deploy/internal/lockedbuffer"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// site is one deploy controller under test, with its config and state dir.
type site struct {
	t        *testing.T
	dir      string
	config   string
	proxyURL string
	// httpsAddr is the proxy's TLS listener ("127.0.0.1:port"), "" without.
	httpsAddr string
	serve     *exec.Cmd
	serveLog  *lockedbuffer.Buffer
}

// siteOptions shape the generated configuration.
type siteOptions struct {
	instances int
	command   string // HCL list; default runs the demo app; "none" leaves it out
	drain     string
	ready     string // ready timeout; default 20s
	stack     string // more HCL inside the stack block
	control   string // more HCL inside the controller block
	service   string // more HCL inside the service block
	top       string // more HCL at the top level (zeo blocks)
	// proxy is more HCL inside the proxy block. With httpsPort set the
	// proxy also listens for TLS there; proxyPort fixes the plain one
	// (both are chosen by the test when an ACME CA must know them first).
	proxy                string
	proxyPort, httpsPort int
}

// newSite writes a configuration with free loopback ports for one service
// "demo" with slots blue and green, and starts deploy serve on it.
func newSite(t *testing.T, o siteOptions) *site {
	t.Helper()
	if o.instances == 0 {
		o.instances = 2
	}
	switch o.command {
	case "":
		o.command = fmt.Sprintf("command = [%q]", demoAppBin)
	case "none": // the driver has a command of its own
		o.command = ""
	default:
		o.command = "command = " + o.command
	}
	if o.drain == "" {
		o.drain = "10s"
	}
	if o.ready == "" {
		o.ready = "20s"
	}
	dir := t.TempDir()
	proxyPort := o.proxyPort
	if proxyPort == 0 {
		proxyPort = freePorts(t, 1)
	}
	if o.httpsPort != 0 {
		o.proxy += fmt.Sprintf("\n  https_listen = [\"127.0.0.1:%d\"]", o.httpsPort)
	}
	blue, green := freePorts(t, o.instances), freePorts(t, o.instances)
	cfg := fmt.Sprintf(`
controller {
  state_dir = "state"
  %s
}
proxy {
  listen = ["127.0.0.1:%d"]
  %s
}
%s
service "demo" {
  hosts         = ["demo.test"]
  default       = true
  instances     = %d
  drain_timeout = %q
  slot "blue"  { base_port = %d }
  slot "green" { base_port = %d }
  %s
  stack {
    %s
    %s
    ready {
      path    = "/healthz"
      timeout = %q
    }
  }
}
`, o.control, proxyPort, o.proxy, o.top, o.instances, o.drain, blue, green, o.service, o.command, o.stack, o.ready)
	s := &site{t: t, dir: dir, config: filepath.Join(dir, "deploy.hcl"), proxyURL: fmt.Sprintf("http://127.0.0.1:%d", proxyPort)}
	if o.httpsPort != 0 {
		s.httpsAddr = fmt.Sprintf("127.0.0.1:%d", o.httpsPort)
	}
	if err := os.WriteFile(s.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.cleanup)
	s.start()
	return s
}

// start runs deploy serve and waits for its control socket to answer.
func (s *site) start(flags ...string) {
	s.t.Helper()
	s.startEnv(nil, flags...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, _, code := s.run("status"); code == 0 {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("deploy serve did not come up:\n%s", s.serveLog)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startEnv runs deploy serve with more environment, returning without
// waiting for anything.
func (s *site) startEnv(env []string, flags ...string) {
	s.t.Helper()
	s.serveLog = &lockedbuffer.Buffer{}
	s.serve = exec.Command(deployBin, append([]string{"serve", "--config", s.config}, flags...)...)
	s.serve.Env = append(os.Environ(), env...)
	s.serve.Stdout, s.serve.Stderr = s.serveLog, s.serveLog
	if err := s.serve.Start(); err != nil {
		s.t.Fatal(err)
	}
}

// stop sends sig to the controller and waits for it to exit.
func (s *site) stop(sig syscall.Signal) {
	s.t.Helper()
	s.serve.Process.Signal(sig)
	done := make(chan error, 1)
	go func() { done <- s.serve.Wait() }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		s.serve.Process.Kill()
		s.t.Fatalf("deploy serve did not stop on %v:\n%s", sig, s.serveLog)
	}
}

// run runs a deploy client command against the site.
func (s *site) run(args ...string) (stdout, stderr string, code int) {
	cmd := exec.Command(deployBin, append(args, "--config", s.config)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		s.t.Fatalf("run deploy %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// must runs a client command that has to succeed.
func (s *site) must(args ...string) string {
	s.t.Helper()
	out, errOut, code := s.run(args...)
	if code != 0 {
		s.t.Fatalf("deploy %s: exit %d\n%s%s\ncontroller log:\n%s", strings.Join(args, " "), code, out, errOut, s.serveLog)
	}
	return out
}

// liveOn brings a slot up and switches the service to it.
func (s *site) liveOn(slot string) {
	s.t.Helper()
	s.must("up", "demo", "--slot", slot)
	s.must("switch", "demo", "--to", slot)
}

// status returns the controller's status of the demo service.
func (s *site) status() serviceStatus {
	s.t.Helper()
	var st []serviceStatus
	if err := json.Unmarshal([]byte(s.must("status", "demo", "--json")), &st); err != nil || len(st) != 1 {
		s.t.Fatalf("status: %v %+v", err, st)
	}
	return st[0]
}

type serviceStatus struct {
	Live     string `json:"live"`
	Previous string `json:"previous"`
	Slots    []struct {
		Slot      string `json:"slot"`
		Status    string `json:"status"`
		Healthy   bool   `json:"healthy"`
		Instances []struct {
			PID int `json:"pid"`
		} `json:"instances"`
	} `json:"slots"`
}

// instancePort returns the port of the first instance of a slot.
func (s *site) instancePort(slot string) int {
	s.t.Helper()
	var st []struct {
		Slots []struct {
			Slot  string `json:"slot"`
			Ports []int  `json:"ports"`
		} `json:"slots"`
	}
	json.Unmarshal([]byte(s.must("status", "demo", "--json")), &st)
	for _, sl := range st[0].Slots {
		if sl.Slot == slot {
			return sl.Ports[0]
		}
	}
	s.t.Fatalf("no slot %s", slot)
	return 0
}

// pids returns the instance PIDs of a slot from status.
func (st serviceStatus) pids(slot string) []int {
	for _, sl := range st.Slots {
		if sl.Slot == slot {
			var out []int
			for _, in := range sl.Instances {
				out = append(out, in.PID)
			}
			return out
		}
	}
	return nil
}

// get sends one request through the proxy and returns the answering slot.
func (s *site) get(c *http.Client, path string) (slot string, err error) {
	req, _ := http.NewRequest(http.MethodGet, s.proxyURL+path, nil)
	req.Host = "demo.test"
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return slotOf(string(b)), nil
}

// slotOf reads the slot from a demo-app answer ("service=demo slot=blue ...").
func slotOf(body string) string {
	for _, f := range strings.Fields(body) {
		if v, ok := strings.CutPrefix(f, "slot="); ok {
			return v
		}
	}
	return "?" + body
}

// cleanup stops the controller and every instance process it started, even
// after a kill -9 left them running on purpose.
func (s *site) cleanup() {
	if s.serve != nil && s.serve.ProcessState == nil {
		s.serve.Process.Kill()
		s.serve.Wait()
	}
	b, err := os.ReadFile(filepath.Join(s.dir, "state", "state.json"))
	if err != nil {
		return
	}
	var snap struct {
		Services map[string]struct {
			Slots map[string]struct {
				Instances []struct{ PID int } `json:"instances"`
			} `json:"slots"`
			Jobs []struct{ PID int } `json:"jobs"`
		} `json:"services"`
		ZEO map[string]struct{ PID int } `json:"zeo"`
	}
	json.Unmarshal(b, &snap)
	for _, z := range snap.ZEO {
		if z.PID > 0 {
			syscall.Kill(-z.PID, syscall.SIGKILL)
		}
	}
	for _, svc := range snap.Services {
		for _, j := range svc.Jobs {
			if j.PID > 0 {
				syscall.Kill(-j.PID, syscall.SIGKILL)
			}
		}
		for _, sl := range svc.Slots {
			for _, in := range sl.Instances {
				if in.PID > 0 {
					syscall.Kill(-in.PID, syscall.SIGKILL)
				}
			}
		}
	}
}

// given remembers the ports handed out, so that two ranges of one suite
// never overlap even before anything listens on them.
var (
	givenMu sync.Mutex
	given   = map[int]bool{}
)

// freePorts finds n consecutive free loopback ports.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	givenMu.Lock()
	defer givenMu.Unlock()
	for range 200 {
		// Below the kernel's ephemeral range (32768 and up by default):
		// a port that is free now could otherwise become the local end of
		// some outgoing connection before the slot binds it.
		base := 20000 + rand.IntN(12000)
		ok := true
		for p := base; p < base+n; p++ {
			ok = ok && !given[p]
		}
		var held []net.Listener
		for p := base; p < base+n; p++ {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			held = append(held, ln)
		}
		for _, ln := range held {
			ln.Close()
		}
		if ok {
			for p := base; p < base+n; p++ {
				given[p] = true
			}
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}
