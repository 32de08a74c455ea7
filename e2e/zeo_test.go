package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"deploy/zeo/zeotest"
)

// zeoBlock is a zeo block for a stand-in server at addr.
func zeoBlock(addr string, storages ...string) string {
	quoted := make([]string, len(storages))
	for i, s := range storages {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf(`zeo "main" {
  address  = %q
  storages = [%s]
}`, addr, strings.Join(quoted, ", "))
}

func TestUp_IsRefusedWhileTheZEOServerLacksAStorageAndTheZEOCheckSeesIt(t *testing.T) {
	t.Parallel()
	srv, err := zeotest.Start("M5", "", "main")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s := newSite(t, siteOptions{top: zeoBlock(srv.Addr(), "main", "session"), service: `
  zeo = "main"
  check "db" {
    zeo {}
  }`})

	_, errOut, code := s.run("up", "demo", "--slot", "blue")
	want := fmt.Sprintf("ZEO server main (%s) does not serve storage session", srv.Addr())
	if code != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("up with a storage missing: exit %d, want 1 and %q:\n%s", code, want, errOut)
	}
	if st := s.status(); st.Slots[0].Status != "stopped" {
		t.Fatalf("nothing may start: blue is %s", st.Slots[0].Status)
	}

	srv.SetStorages("main", "session")
	s.must("up", "demo", "--slot", "blue")
	out := s.must("check", "demo", "--slot", "blue")
	if !strings.Contains(out, "zeo main") || !strings.Contains(out, "1/1 passed") {
		t.Fatalf("zeo check on a healthy server:\n%s", out)
	}

	out = s.must("zeo", "check", "main")
	for _, w := range []string{"protocol M5", "main", "session", "yes"} {
		if !strings.Contains(out, w) {
			t.Errorf("zeo check main lacks %q:\n%s", w, out)
		}
	}
	out, _, code = s.run("zeo", "check", srv.Addr(), "--storage", "main", "--storage", "nosuch", "--json")
	var rep struct {
		OK       bool `json:"ok"`
		Storages []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Error  string `json:"error"`
		} `json:"storages"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.OK || len(rep.Storages) != 2 ||
		!rep.Storages[0].Served || rep.Storages[1].Served || !strings.Contains(rep.Storages[1].Error, "nosuch not served") {
		t.Fatalf("zeo check with an unknown storage: exit %d %v %+v\n%s", code, err, rep, out)
	}

	srv.Close()
	out, _, code = s.run("check", "demo", "--slot", "blue")
	if code != 3 || !strings.Contains(out, "zeo main") || !strings.Contains(out, "FAILED") {
		t.Fatalf("zeo check with the server gone: exit %d, want 3:\n%s", code, out)
	}
}

func TestVirtualHost_ZopeSeesTheVirtualHostMonsterPath(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{instances: 1, service: `
  virtual_host {
    root = "/Plone"
  }`})
	s.liveOn("blue")
	_, port, _ := strings.Cut(strings.TrimPrefix(s.proxyURL, "http://"), ":")
	resp, body := s.request("demo.test", "/news/item%2F1?x=1")
	want := "path=/VirtualHostBase/http/demo.test:" + port + "/Plone/VirtualHostRoot/news/item%2F1"
	if resp.StatusCode != 200 || !strings.Contains(body, want+"\n") {
		t.Fatalf("VirtualHostMonster rewriting: %d %q, want %q", resp.StatusCode, body, want)
	}
}

// zopeTree is a stack dir whose bin/runwsgi stands in for Zope's: it
// insists on the ini it is given, then runs the demo app.
func zopeTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "zope")
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\ngrep -q 'port = '$PORT \"$1\" || { echo \"no ini for port $PORT: $1\" >&2; exit 2; }\nexec %s\n", demoAppBin)
	if err := os.WriteFile(filepath.Join(dir, "bin", "runwsgi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestZopeDriver_EveryInstanceGetsItsOwnZopeConfAndClientCache(t *testing.T) {
	t.Parallel()
	srv, err := zeotest.Start("Z5", "", "main", "session")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s := newSite(t, siteOptions{command: "none", stack: fmt.Sprintf("dir = %q", zopeTree(t)),
		top: zeoBlock(srv.Addr(), "main", "session"), service: `
  zeo    = "main"
  driver = "zope"
  zope {
    mount "main" {
      path = "/"
    }
    mount "session" {
      path = "/session_folder"
    }
    cache_size = "64MB"
  }`})
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")
	if slot, err := s.get(http.DefaultClient, "/"); err != nil || slot != "blue" {
		t.Fatalf("zope stack behind the proxy: %q %v", slot, err)
	}

	clients, vars := map[string]string{}, map[string]bool{}
	for _, slot := range []string{"blue", "green"} {
		for n := 1; n <= 2; n++ {
			varDir := filepath.Join(s.dir, "state", "services", "demo", slot, "var", fmt.Sprint(n))
			b, err := os.ReadFile(filepath.Join(varDir, "etc", "zope.conf"))
			if err != nil {
				t.Fatalf("%s instance %d: %v", slot, n, err)
			}
			conf := string(b)
			if !strings.Contains(conf, "server "+srv.Addr()) || !strings.Contains(conf, "mount-point /session_folder") {
				t.Errorf("%s instance %d zope.conf:\n%s", slot, n, conf)
			}
			for line := range strings.SplitSeq(conf, "\n") {
				if f := strings.Fields(line); len(f) == 2 && f[0] == "client" {
					if other, dup := clients[f[1]]; dup {
						t.Errorf("client cache %s is shared by %s and %s instance %d", f[1], other, slot, n)
					}
					clients[f[1]] = fmt.Sprintf("%s instance %d", slot, n)
				}
				if f := strings.Fields(line); len(f) == 2 && f[0] == "var" {
					vars[f[1]] = true
				}
			}
		}
	}
	if len(clients) != 8 || len(vars) != 4 {
		t.Errorf("want 8 client caches (4 instances x 2 mounts) and 4 var dirs, got %d and %d", len(clients), len(vars))
	}
}

func TestManagedZEO_IsSupervisedPackedAndNeverTouchedBySwitches(t *testing.T) {
	t.Parallel()
	port := freePorts(t, 1)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	marker := filepath.Join(t.TempDir(), "packed")
	s := newSite(t, siteOptions{instances: 1, top: fmt.Sprintf(`zeo "main" {
  address  = %q
  storages = ["main"]
  managed {
    command = [%q, "-addr", %q, "-protocol", "M5", "-storages", "main", "-log", "zeo.log"]
    pack {
      command  = ["sh", "-c", "echo $STORAGE $DAYS >> %s"]
      schedule = "1s"
      days     = 3
    }
  }
}`, addr, zeoStandinBin, addr, marker), service: `
  zeo = "main"`})

	zeoPID := func() int {
		var st struct {
			Managed bool `json:"managed"`
			Process struct {
				PID      int `json:"pid"`
				Restarts int `json:"restarts"`
			} `json:"process"`
			Probe struct {
				OK bool `json:"ok"`
			} `json:"probe"`
		}
		out, _, _ := s.run("zeo", "status", "main", "--json")
		if err := json.Unmarshal([]byte(out), &st); err != nil || !st.Managed {
			return 0
		}
		if !st.Probe.OK {
			return -st.Process.PID
		}
		return st.Process.PID
	}
	first := zeoPID()
	if first <= 0 {
		t.Fatalf("the managed ZEO server should run and answer: %d\n%s", first, s.serveLog)
	}

	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")
	s.must("switch", "demo", "--to", "green")
	s.must("rollback", "demo")
	s.must("down", "demo", "--slot", "green")
	if pid := zeoPID(); pid != first {
		t.Fatalf("switches, a rollback and a down touched the ZEO server: pid %d, was %d", pid, first)
	}

	waitFor(t, "a scheduled pack", func() bool {
		b, _ := os.ReadFile(marker)
		return strings.Contains(string(b), "main 3")
	})
	out := s.must("zeo", "pack", "main")
	if !strings.Contains(out, "packed main") {
		t.Errorf("zeo pack: %q", out)
	}
	if h := s.must("history", "zeo:main"); !strings.Contains(h, "zeo pack") {
		t.Errorf("history of the ZEO server lacks its packs:\n%s", h)
	}

	// logrotate moves the server's log away and signals the controller,
	// which passes SIGUSR2 on: the server writes to a new file.
	logPath := filepath.Join(s.dir, "zeo.log")
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	s.serve.Process.Signal(syscall.SIGUSR2)
	waitFor(t, "the ZEO server to reopen its log", func() bool {
		s.run("zeo", "check", "main") // a connection the server logs
		b, err := os.ReadFile(logPath)
		return err == nil && len(b) > 0
	})

	// A crash is restarted; a controller restart adopts the running server.
	syscall.Kill(first, syscall.SIGKILL)
	var second int
	waitFor(t, "the ZEO server to be restarted", func() bool {
		second = zeoPID()
		return second > 0 && second != first
	})
	s.stop(syscall.SIGTERM)
	s.start()
	if pid := zeoPID(); pid != second {
		t.Fatalf("a restarted controller should adopt the ZEO server %d, got %d", second, pid)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "state", "zeo", "main", "zeo.conf")); err != nil {
		t.Errorf("zeo.conf was not rendered: %v", err)
	}
}
