package plugins

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestDriver_RendersAndCommandsThroughTheRealPlugin(t *testing.T) {
	h, _ := testHost(t)
	d := h.Driver(testSpec(t, KindDriver))
	ctx := context.Background()

	files, err := d.Render(ctx, testStack("ok"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Path != "etc/app.conf" || files[1].Path != "bin/run" {
		t.Fatalf("files = %+v", files)
	}
	if files[0].Mode != 0o644 || files[1].Mode != 0o755 {
		t.Errorf("modes = %#o, %#o; want 0644 (the default) and 0755", files[0].Mode, files[1].Mode)
	}
	want := "service shop slot blue release r1 zeo 127.0.0.1:8100 [main]\ninstance 1 port 8081 var /srv/shop/blue/var/1 client shop-blue-1\n"
	if string(files[0].Data) != want {
		t.Errorf("app.conf = %q, want %q", files[0].Data, want)
	}

	stack := testStack("ok")
	argv, env, err := d.Command(ctx, stack, stack.Instances[0])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(argv, []string{"/bin/app", "--port", "8081"}) || env["ZEO"] != "127.0.0.1:8100" || env["VAR"] != "/srv/shop/blue/var/1" {
		t.Errorf("argv = %q, env = %q", argv, env)
	}

	info, err := d.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info != (Info{Name: "testplugin", Kind: KindDriver, Version: "1.0.0", Description: "drives the plugins package's tests"}) {
		t.Errorf("info = %+v", info)
	}
	schema, err := d.ConfigSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(schema.Attributes) != 2 || schema.Attributes[0] != (Attribute{Name: "mode", Type: "string", Description: "what the next call does"}) {
		t.Errorf("schema = %+v", schema)
	}
}

func TestChecker_ReportsVerdictsAndErrors(t *testing.T) {
	h, _ := testHost(t)
	c := h.Checker(testSpec(t, KindCheck))
	ctx := context.Background()

	res, err := c.Check(ctx, checkRequest("ok"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Message != "shop/blue fine" || res.Duration != 3*time.Millisecond || res.Details["targets"] != "instance 1=127.0.0.1:8081" {
		t.Errorf("result = %+v", res)
	}

	res, err = c.Check(ctx, checkRequest("fail"))
	if err != nil || res.OK || res.Message != "instance 1 answers 503" {
		t.Errorf("failing check = %+v, %v", res, err)
	}
	if res.Duration <= 0 {
		t.Errorf("duration %s: the host measures what the plugin left empty", res.Duration)
	}

	_, err = c.Check(ctx, checkRequest("error"))
	wantError(t, err, `plugin "test" (check): Check failed: cannot reach the slot`)
}

func TestNotifier_DeliversTheEvent(t *testing.T) {
	h, _ := testHost(t)
	n := h.Notifier(testSpec(t, KindNotifier))
	out := filepath.Join(t.TempDir(), "event.json")
	event := []byte(`{"type":"switch","service":"shop","to":"green"}`)
	if err := n.Notify(context.Background(), event, map[string]any{"mode": "ok", "out": out}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil || string(got) != string(event) {
		t.Fatalf("event = %q, %v", got, err)
	}
	err = n.Notify(context.Background(), event, map[string]any{"mode": "error"})
	wantError(t, err, `plugin "test" (notifier): Notify failed: chat service said 401`)
}

func TestHost_CrashMidCallFailsTheCallAndTheNextCallRelaunches(t *testing.T) {
	h, _ := testHost(t)
	d := h.Driver(testSpec(t, KindDriver))
	ctx := context.Background()
	if _, err := d.Render(ctx, testStack("ok")); err != nil {
		t.Fatal(err)
	}
	firstPID := livePID(t, h)

	_, err := d.Render(ctx, testStack("crash"))
	wantError(t, err, `plugin "test" (driver) exited during Render`, "exit status 2", "panic: testplugin: crash requested")
	st := h.Status()[0]
	if st.Running || !strings.Contains(st.LastError, "exited during Render") {
		t.Errorf("status after the crash = %+v", st)
	}

	if _, err := d.Render(ctx, testStack("ok")); err != nil {
		t.Fatalf("the call after a crash: %v", err)
	}
	if pid := livePID(t, h); pid == firstPID {
		t.Errorf("still pid %d after a crash", pid)
	}
	if st := h.Status()[0]; !st.Running || st.LastError != "" {
		t.Errorf("status after the relaunch = %+v", st)
	}
}

func TestHost_HangPastTheTimeoutIsKilledAndTheNextCallWorks(t *testing.T) {
	h, logs := testHost(t)
	spec := testSpec(t, KindCheck)
	spec.Timeout = 500 * time.Millisecond
	c := h.Checker(spec)
	ctx := context.Background()
	if _, err := c.Check(ctx, checkRequest("ok")); err != nil {
		t.Fatal(err)
	}
	hungPID := livePID(t, h)

	start := time.Now()
	_, err := c.Check(ctx, checkRequest("hang"))
	wantError(t, err, `plugin "test" (check): Check did not answer within 500ms`)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the hung call took %s", took)
	}
	logs.waitFor(t, `"msg":"plugin did not answer; stopping it"`)
	waitGone(t, hungPID)

	res, err := c.Check(ctx, checkRequest("ok"))
	if err != nil || !res.OK {
		t.Fatalf("the call after a hang: %+v, %v", res, err)
	}
}

func TestHost_CallerCancellationDoesNotKillThePlugin(t *testing.T) {
	h, _ := testHost(t)
	c := h.Checker(testSpec(t, KindCheck))
	if _, err := c.Check(context.Background(), checkRequest("ok")); err != nil {
		t.Fatal(err)
	}
	pid := livePID(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Check(ctx, checkRequest("hang"))
	wantError(t, err, `plugin "test" (check): Check: context deadline exceeded`)
	if _, err := c.Check(context.Background(), checkRequest("ok")); err != nil {
		t.Fatal(err)
	}
	if livePID(t, h) != pid {
		t.Error("the plugin was replaced although only the caller gave up")
	}
}

func TestHost_ConcurrentCallsShareOneProcess(t *testing.T) {
	h, logs := testHost(t)
	c := h.Checker(testSpec(t, KindCheck))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			_, err := c.Check(context.Background(), checkRequest("ok"))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), `"msg":"plugin launched"`); n != 1 {
		t.Errorf("%d processes started for 16 concurrent calls, want 1", n)
	}
}

func TestHost_StatusReportsEveryPluginSortedByName(t *testing.T) {
	h, _ := testHost(t)
	check := testSpec(t, KindCheck)
	check.Name = "b-check"
	driver := testSpec(t, KindDriver)
	driver.Name = "a-driver"
	sum, err := fileSHA256(driver.Path)
	if err != nil {
		t.Fatal(err)
	}
	driver.SHA256 = mustHex(t, sum)
	h.Checker(check) // asked for, never used
	if _, err := h.Probe(context.Background(), driver); err != nil {
		t.Fatal(err)
	}
	got := h.Status()
	want := []PluginStatus{
		{Name: "a-driver", Kind: KindDriver, Path: driver.Path, Protocol: 1, Pinned: true, Running: true},
		{Name: "b-check", Kind: KindCheck, Path: check.Path},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("status = %+v\nwant %+v", got, want)
	}
	b, _ := json.Marshal(got[1])
	if string(b) != `{"name":"b-check","kind":"check","path":"`+check.Path+`","pinned":false,"running":false}` {
		t.Errorf("json = %s", b)
	}
	h.Close()
	if st := h.Status()[0]; st.Running {
		t.Error("running after Close")
	}
	_, err = h.Probe(context.Background(), driver)
	wantError(t, err, "the plugin host is closed")
}

func TestHost_PluginOutputReachesTheLogTaggedWithThePlugin(t *testing.T) {
	h, logs := testHost(t)
	c := h.Checker(testSpec(t, KindCheck))
	if _, err := c.Check(context.Background(), checkRequest("slog")); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, `"level":"WARN","msg":"hello from testplugin","plugin":"test","kind":"check","n":1`)
	logs.waitFor(t, `"msg":"plain stdout line","plugin":"test","kind":"check","stream":"stdout"`)
}

func TestHost_SurvivesHostileLogLines(t *testing.T) {
	h, logs := testHost(t)
	c := h.Checker(testSpec(t, KindCheck))
	// go-plugin's own stderr parser panics on {"@message": 1}; the host
	// must not be reading with it.
	res, err := c.Check(context.Background(), checkRequest("hostilelog"))
	if err != nil || !res.OK {
		t.Fatalf("%+v, %v", res, err)
	}
	logs.waitFor(t, `"msg":"1","plugin":"test"`)
	logs.waitFor(t, `"msg":"impostor record","plugin":"test","kind":"check","plugin_plugin":"impostor"`)
	logs.waitFor(t, `xxxx [cut]"`)
}

func TestHost_KindMismatchIsReported(t *testing.T) {
	h, _ := testHost(t)
	spec := testSpec(t, KindCheck) // a check binary...
	spec.Kind = KindDriver         // ...configured as a driver
	_, err := h.Driver(spec).Render(context.Background(), testStack("ok"))
	wantError(t, err, `plugin "test" (driver):`, "does not serve Render; is it a driver plugin?")
}

// livePID is the process id of the one running plugin of h.
func livePID(t *testing.T, h *Host) int {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.plugins {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.live != nil {
			return m.live.pid
		}
	}
	t.Fatal("no plugin is running")
	return 0
}

// waitGone waits until pid no longer exists (killed and reaped).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still exists", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHost_AKindOtherThanConfiguredIsRefusedWithoutLaunching(t *testing.T) {
	h, logs := testHost(t)
	_, err := h.Driver(testSpec(t, KindCheck)).Render(context.Background(), testStack("ok"))
	wantError(t, err, `plugin "test" (check) is configured as a check plugin, not a driver`)
	if strings.Contains(logs.String(), "plugin launched") {
		t.Error("launched a plugin of the wrong kind")
	}
}

func TestHost_ANewBinaryReplacesTheRunningProcess(t *testing.T) {
	h, _ := testHost(t)
	spec := testSpec(t, KindCheck)
	if _, err := h.Probe(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	oldPID := livePID(t, h)
	spec.Path = filepath.Join(t.TempDir(), "deploy-plugin-check-test")
	if err := os.Link(filepath.Join(pluginDir, "testplugin"), spec.Path); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Checker(spec).Check(context.Background(), checkRequest("ok")); err != nil {
		t.Fatal(err)
	}
	waitGone(t, oldPID)
	if st := h.Status(); len(st) != 1 || st[0].Path != spec.Path || !st[0].Running {
		t.Errorf("status = %+v", st)
	}
}

func TestHost_CloseKillsEveryPlugin(t *testing.T) {
	h, _ := testHost(t)
	var pids []int
	for _, kind := range []string{KindDriver, KindCheck, KindNotifier} {
		if _, err := h.Probe(context.Background(), testSpec(t, kind)); err != nil {
			t.Fatal(err)
		}
	}
	h.mu.Lock()
	for _, m := range h.plugins {
		pids = append(pids, m.live.pid)
	}
	h.mu.Unlock()
	h.Close()
	for _, pid := range pids {
		waitGone(t, pid)
	}
}
