package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is Debian's browser, which the status page's browser test drives.
const chromium = "/usr/bin/chromium"

// webToken guards the status page's buttons in these tests.
const webToken = "e2e-web-token-0123456789abcdef"

// Selectors of the status page, by its data attributes.
const (
	demoLive     = `section[data-service="demo"] [data-field="live"]`
	demoRollback = `section[data-service="demo"] button[data-action="rollback"]`
	demoToken    = `section[data-service="demo"] input[name="token"]`
	demoConfirm  = `section[data-service="demo"] input[name="confirm"]`
	demoReason   = `section[data-service="demo"] input[name="reason"]`
)

// TestWeb_ThePageFollowsACLISwitchAndRollsBackOnlyWithTheToken is the
// incident on the status page: the page, left open, shows a switch made from
// the CLI by itself; its Roll back button does nothing without the token,
// and with the token and the service's name it rolls back, recorded as done
// from the page's client.
func TestWeb_ThePageFollowsACLISwitchAndRollsBackOnlyWithTheToken(t *testing.T) {
	t.Parallel()
	s, page := newWebSite(t, webToken)
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")

	ctx := newBrowser(t)
	console := collectConsole(ctx)
	do(t, ctx, chromedp.Navigate(page+"/"))
	if live := text(t, ctx, demoLive); live != "blue" {
		t.Fatalf("the page shows %q live, want blue", live)
	}
	// A mark that a reload would lose: the switch must show without one.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.deployTestMark = true`)); err != nil {
		t.Fatal(err)
	}

	s.must("switch", "demo", "--to", "green")
	waitInPage(t, ctx, fmt.Sprintf(`document.querySelector(%q).textContent === "green"`, demoLive), "the page to show green live")
	if marked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.deployTestMark === true`)); err != nil || !marked {
		t.Errorf("the page reloaded to show the switch instead of updating in place (%v)", err)
	}
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(demoRollback)))

	// Without the token: refused, nothing changes.
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(demoRollback)))
	if err != nil {
		t.Fatal(err)
	}
	if body := text(t, ctx, "body"); resp.Status != http.StatusUnauthorized || !strings.Contains(body, "token is wrong or missing") {
		t.Fatalf("rollback without token: %d\n%s", resp.Status, body)
	}
	if st := s.status(); st.Live != "green" {
		t.Fatalf("after a refused rollback %s is live, want green", st.Live)
	}

	// With the token and the service's name: rolled back.
	do(t, ctx, chromedp.Navigate(page+"/"),
		chromedp.SendKeys(chromedp.CSS(demoToken), webToken),
		chromedp.SendKeys(chromedp.CSS(demoConfirm), "demo"),
		chromedp.SendKeys(chromedp.CSS(demoReason), "green answers 502"))
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(demoRollback)))
	if err != nil {
		t.Fatal(err)
	}
	if body := text(t, ctx, "body"); resp.Status != http.StatusOK || !strings.Contains(body, "rolled back from green to blue") {
		t.Fatalf("rollback with token: %d\n%s", resp.Status, body)
	}
	saveScreenshot(t, ctx, "web-rollback-result.png")
	if st := s.status(); st.Live != "blue" || st.Previous != "green" {
		t.Fatalf("after the rollback: live %s, previous %s; want blue, green", st.Live, st.Previous)
	}
	var history []struct {
		Op, Actor, From, To, Reason, Result string
	}
	if err := json.Unmarshal([]byte(s.must("history", "demo", "--json")), &history); err != nil || len(history) == 0 {
		t.Fatalf("history: %v %+v", err, history)
	}
	last := history[len(history)-1]
	if last.Op != "rollback" || last.Actor != "web 127.0.0.1" || last.From != "green" || last.To != "blue" || last.Reason != "green answers 502" || last.Result != "ok" {
		t.Errorf("last history entry %+v: want the rollback green → blue by web 127.0.0.1, reason given, ok", last)
	}

	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`a[data-field="back"]`))); err != nil {
		t.Fatal(err)
	}
	waitInPage(t, ctx, fmt.Sprintf(`document.querySelector(%q).textContent === "blue"`, demoLive), "the page to show blue live")
	waitInPage(t, ctx, `document.querySelector('section[data-service="demo"] [data-field="history"]').textContent.includes("web 127.0.0.1")`,
		"the page's history to show the rollback")
	// The stylesheet applied, under the page's Content-Security-Policy.
	if bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)); err != nil || bg != "rgb(244, 246, 249)" {
		t.Errorf("the page's stylesheet did not apply: background %q (%v)", bg, err)
	}
	// Traffic through the proxy shows as blue's requests per second, from
	// the page's own sampling of the controller's counters.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	wg.Go(func() {
		c := &http.Client{Timeout: 10 * time.Second}
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				s.get(c, "/")
			}
		}
	})
	waitInPage(t, ctx, `parseFloat(document.querySelector('section[data-service="demo"] tr[data-slot="blue"] [data-field="rate"]').textContent) > 0`,
		"the page to show blue's requests per second")
	saveScreenshot(t, ctx, "web-status.png")
	for _, m := range console() {
		if m.IsException() || m.Source == "security" || strings.Contains(m.Text, "Content Security Policy") {
			t.Errorf("browser console: %s (%s)", m, m.URL)
		}
	}
}

// TestWeb_WithoutATokenThePageHasNoButtonsAndRefusesEveryPost is the
// read-only page: a web block without token_file.
func TestWeb_WithoutATokenThePageHasNoButtonsAndRefusesEveryPost(t *testing.T) {
	t.Parallel()
	s, page := newWebSite(t, "")
	s.liveOn("blue")
	s.liveOn("green")

	resp, err := http.Get(page + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<dd data-field="live">green</dd>`) {
		t.Fatalf("GET /: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, "<form") || strings.Contains(body, "<button") {
		t.Errorf("the read-only page has buttons:\n%s", body)
	}
	for _, action := range []string{"rollback", "switch"} {
		resp, err := http.PostForm(page+"/services/demo/"+action, url.Values{"token": {webToken}, "confirm": {"demo"}, "to": {"blue"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "actions are off: set token_file in controller { web { ... } }") {
			t.Errorf("POST %s: %d\n%s", action, resp.StatusCode, b)
		}
	}
	if st := s.status(); st.Live != "green" || st.Previous != "blue" {
		t.Errorf("after refused posts: live %s, previous %s; want green, blue", st.Live, st.Previous)
	}
}

// TestWeb_ATakenPortFailsTheStartBeforeAnythingIsAdopted: the page's port
// is opened with the proxy's, so a taken one stops the controller at once,
// saying which address, and leaves the running slot alone.
func TestWeb_ATakenPortFailsTheStartBeforeAnythingIsAdopted(t *testing.T) {
	t.Parallel()
	s, page := newWebSite(t, "")
	s.liveOn("blue")
	pids := s.status().pids("blue")
	s.stop(syscall.SIGTERM)

	addr := strings.TrimPrefix(page, "http://")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, deployBin, "serve", "--config", s.config).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !strings.Contains(string(out), "status page listener: listen tcp "+addr) {
		t.Fatalf("deploy serve with the page's port taken: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "instance adopted") {
		t.Errorf("the controller adopted instances before failing:\n%s", out)
	}
	for _, pid := range pids {
		if syscall.Kill(pid, 0) != nil {
			t.Errorf("instance %d of the live slot is gone", pid)
		}
	}
}

// newWebSite starts a site whose controller serves the status page, with
// token (when not "") in a token file, and returns the page's URL.
func newWebSite(t *testing.T, token string) (*site, string) {
	t.Helper()
	port := freePorts(t, 1)
	web := fmt.Sprintf("listen = \"127.0.0.1:%d\"", port)
	if token != "" {
		// The site's own directory does not exist before newSite makes it,
		// so the token file sits beside it.
		file := filepath.Join(t.TempDir(), "web.token")
		if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		web += fmt.Sprintf("\n    token_file = %q", file)
	}
	s := newSite(t, siteOptions{control: "web {\n    " + web + "\n  }"})
	return s, fmt.Sprintf("http://127.0.0.1:%d", port)
}

// newBrowser starts a headless Chromium for one test. Without the
// background-networking flags it keeps calling out of this closed network.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s: %v: install Debian's chromium (apt-get install chromium)", chromium, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first action starts the browser; it must not run under a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	return ctx
}

// do runs browser steps that must succeed, each within a generous bound so
// that a broken page fails the test instead of hanging it.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatalf("browser: %v\npage:\n%s", err, pageText(ctx))
	}
}

// text returns the text of the first element a CSS selector finds.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitInPage polls a JavaScript condition in the page until it holds. The
// deadline only stops a page that never gets there; it measures nothing.
func waitInPage(t *testing.T, ctx context.Context, cond, what string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Minute)))
	if err != nil {
		t.Fatalf("waiting for %s: %v\npage:\n%s", what, err, pageText(ctx))
	}
}

func pageText(ctx context.Context) string {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return err.Error()
	}
	return s
}

// collectConsole gathers the page's console messages from now on; the
// returned func gives those so far.
func collectConsole(ctx context.Context) func() []chromedp.ConsoleMessage {
	var (
		mu   sync.Mutex
		msgs []chromedp.ConsoleMessage
	)
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
		}
	}()
	return func() []chromedp.ConsoleMessage {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(msgs)
	}
}

// saveScreenshot writes the whole page as a PNG into the artifacts
// directory: $DEPLOY_TEST_ARTIFACTS, or artifacts/ in the repository.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("DEPLOY_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
