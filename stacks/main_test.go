package stacks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"deploy/internal/testwait"
)

// The test binary doubles as the instance program: with STACKS_TEST_CHILD set
// it runs as a child instead of running tests.
func TestMain(m *testing.M) {
	switch os.Getenv("STACKS_TEST_CHILD") {
	case "":
		// Grandchildren orphaned by a stopped instance are reparented to us
		// rather than to PID 1, which in some sandboxes never reaps them; the
		// cleanups reap them, so that no zombie outlives the tests.
		_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
		os.Exit(m.Run())
	case "sleep":
		runGrandchild()
	case "launcher":
		runLauncher()
	default:
		runChild()
	}
}

// runChild is a tiny instance: it serves /healthz on $PORT, and on request
// prints its environment, ignores SIGTERM, spawns a grandchild, or exits.
func runChild() {
	fmt.Printf("child started pid=%d\n", os.Getpid())
	if os.Getenv("CHILD_PRINT_ENV") != "" {
		for _, k := range []string{"PORT", "JOB", "INSTANCE", "SLOT", "SERVICE", "VAR_DIR", "RELEASE", "GREETING"} {
			fmt.Printf("%s=%s\n", k, os.Getenv(k))
		}
		stdin, _ := os.Readlink("/proc/self/fd/0")
		stdout, _ := os.Readlink("/proc/self/fd/1")
		fmt.Printf("STDIN=%s\nSTDOUT=%s\n", stdin, stdout)
	}
	if os.Getenv("CHILD_IGNORE_TERM") != "" {
		signal.Ignore(syscall.SIGTERM)
	}
	if os.Getenv("CHILD_GRANDCHILD") != "" {
		spawnGrandchild()
	}
	if os.Getenv("CHILD_SPAM") != "" {
		go spam()
	}
	if d := os.Getenv("CHILD_EXIT_AFTER"); d != "" {
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			os.Exit(3)
		}
		time.AfterFunc(dur, func() { os.Exit(3) })
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(4)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	fmt.Println(http.Serve(ln, mux))
	os.Exit(5)
}

// spam writes numbered lines of spamLineLen bytes, each in one write, as fast
// as a chatty application server would, to fill the log file.
func spam() {
	pad := strings.Repeat("x", spamLineLen-len("spam 00000000 \n"))
	for n := 0; ; n++ {
		fmt.Printf("spam %08d %s\n", n, pad)
		if n%20 == 19 {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

const spamLineLen = 100

// spawnGrandchild starts a sleeping copy of itself in the same process group
// and records its PID in $VAR_DIR/grandchild.pid.
func spawnGrandchild() {
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "STACKS_TEST_CHILD=sleep")
	if err := cmd.Start(); err != nil {
		fmt.Println("grandchild:", err)
		os.Exit(6)
	}
	writePIDFile("grandchild.pid", cmd.Process.Pid)
}

const prSetChildSubreaper = 36 // PR_SET_CHILD_SUBREAPER from <linux/prctl.h>

// runLauncher stands in for a previous controller: it starts a server child
// in its own group, records its pid in $VAR_DIR/foreign.pid and reaps it when
// it exits.
func runLauncher() {
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "STACKS_TEST_CHILD=server")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Println("launcher:", err)
		os.Exit(7)
	}
	writePIDFile("foreign.pid", cmd.Process.Pid)
	_ = cmd.Wait()
	os.Exit(0)
}

func writePIDFile(name string, pid int) {
	path := filepath.Join(os.Getenv("VAR_DIR"), name)
	_ = os.WriteFile(path+".tmp", []byte(strconv.Itoa(pid)), 0o600)
	_ = os.Rename(path+".tmp", path)
}

func runGrandchild() {
	if os.Getenv("CHILD_IGNORE_TERM") != "" {
		signal.Ignore(syscall.SIGTERM)
	}
	time.Sleep(time.Hour)
	os.Exit(0)
}

// testSpec is an instance of the test child with env added to its spec.Env.
func testSpec(t *testing.T, env map[string]string) InstanceSpec {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := map[string]string{"STACKS_TEST_CHILD": "server"}
	maps.Copy(e, env)
	return InstanceSpec{
		Service: "shop",
		Slot:    "blue",
		Index:   2,
		Port:    freePort(t),
		Dir:     dir,
		Command: []string{self},
		Env:     e,
		Release: "r42",
		VarDir:  filepath.Join(dir, "var", "instance2"),
		LogPath: filepath.Join(dir, "log", "instance2.log"),
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startInstance starts spec and makes sure nothing of it outlives the test.
func startInstance(t *testing.T, spec InstanceSpec, opts Options) *Instance {
	t.Helper()
	i, err := Start(spec, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopOnCleanup(t, i)
	return i
}

func stopOnCleanup(t *testing.T, i *Instance) {
	t.Cleanup(func() {
		pid := i.Process().PID
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := i.Stop(ctx, 100*time.Millisecond); err != nil {
			t.Errorf("cleanup: %v", err)
			killGroup(pid)
		}
	})
}

// killGroup is the last resort of cleanups: SIGKILL the group of pid and reap
// pid if it is our child.
func killGroup(pid int) {
	if pid <= 0 {
		return
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for range 100 {
		wpid, err := syscall.Wait4(pid, nil, syscall.WNOHANG, nil)
		if wpid == pid || errors.Is(err, syscall.ECHILD) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) { testwait.For(t, what, cond) }

func waitReady(t *testing.T, port int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := WaitReady(ctx, port, "/healthz"); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
}

// processGone reports whether pid has exited (a zombie counts as exited: its
// reaping may belong to an init we do not control).
func processGone(pid int) bool {
	st, err := readStat(pid)
	return err != nil || st.exited()
}

// recorder is a slog.Handler that keeps every record, for assertions on logs.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

// attrs returns the value of attribute key in every record with message msg.
func (r *recorder) attrs(msg, key string) []slog.Value {
	r.mu.Lock()
	defer r.mu.Unlock()
	var vals []slog.Value
	for _, rec := range r.records {
		if rec.Message != msg {
			continue
		}
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == key {
				vals = append(vals, a.Value)
			}
			return true
		})
	}
	return vals
}

// starts records OnStart calls.
type starts struct {
	mu  sync.Mutex
	ids []ProcessID
}

func (s *starts) record(id ProcessID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, id)
}

func (s *starts) all() []ProcessID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ProcessID(nil), s.ids...)
}
