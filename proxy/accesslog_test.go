package proxy

import (
	"context"
	"deploy/internal/lockedbuffer"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// logBuffer keeps what is written to it, for reading while requests write.
type logBuffer struct{ lockedbuffer.Buffer }

// lines decodes every line as one JSON object, failing on any that is not.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for l := range strings.Lines(b.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("access log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// waitLines waits until the log holds n lines and returns them.
func (b *logBuffer) waitLines(t *testing.T, n int) []map[string]any {
	t.Helper()
	waitFor(t, func() bool { return strings.Count(b.String(), "\n") >= n })
	return b.lines(t)
}

// loggedProxy serves a.example live on blue and logs every request to the
// returned buffer.
func loggedProxy(t *testing.T) (p *Proxy, base, blue string, log *logBuffer) {
	t.Helper()
	p = New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}, PreviewHosts: []string{"preview.a.example"}}})
	blue = testBackend(t, "blue")
	mustSwitch(t, p, "a", "blue", blue)
	log = &logBuffer{}
	p.SetAccessLog(log, 1)
	return p, testProxy(t, p), blue, log
}

func TestAccessLog_ProxiedRequestIsOneJSONLineWithItsFields(t *testing.T) {
	_, base, blue, log := loggedProxy(t)
	req := newRequest(t, http.MethodGet, base, "a.example", `/news?q="quoted"&x=1`)
	req.Header.Set("User-Agent", "tester/1.0 \"quoted\"")
	req.Header.Set("Referer", "https://example.org/from")
	if code, body, _ := send(t, req); code != 200 || body != "blue" {
		t.Fatalf("got %d %q", code, body)
	}
	line := log.waitLines(t, 1)[0]

	want := map[string]any{
		"remote": "127.0.0.1", "method": "GET", "host": "a.example", "uri": `/news?q="quoted"&x=1`,
		"proto": "HTTP/1.1", "status": 200.0, "bytes": 4.0, "service": "a", "slot": "blue", "instance": blue,
		"user_agent": "tester/1.0 \"quoted\"", "referer": "https://example.org/from",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %#v, want %#v", k, line[k], v)
		}
	}
	wantKeys := append(slices.Collect(maps.Keys(want)), "time", "duration_ms")
	if got := slices.Sorted(maps.Keys(line)); !slices.Equal(got, slices.Sorted(slices.Values(wantKeys))) {
		t.Errorf("keys %v, want %v", got, slices.Sorted(slices.Values(wantKeys)))
	}
	ts, _ := line["time"].(string)
	if tm, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") || !strings.Contains(ts, ".") || tm.IsZero() {
		t.Errorf("time %q: want RFC 3339 in UTC with fractions of a second (%v)", ts, err)
	}
	if d, ok := line["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms %#v, want a number of milliseconds", line["duration_ms"])
	}
}

func TestAccessLog_TheProxysOwnAnswersAndPreviewsAreLoggedWithWhatIsKnown(t *testing.T) {
	p, base, _, log := loggedProxy(t)
	green := testBackend(t, "green")
	if err := p.SetPreview("a", Backend{Slot: "green", Addrs: []string{green}}); err != nil {
		t.Fatal(err)
	}
	get(t, http.DefaultClient, base, "nobody.example", "/x")
	get(t, http.DefaultClient, base, "preview.a.example", "/")
	lines := log.waitLines(t, 2)

	notFound := lines[0]
	for k, v := range map[string]any{
		"status": 404.0, "bytes": float64(len(pageText[http.StatusNotFound])), "host": "nobody.example", "uri": "/x",
		"service": "", "slot": "", "instance": "",
	} {
		if notFound[k] != v {
			t.Errorf("404 line: %s = %#v, want %#v", k, notFound[k], v)
		}
	}
	for _, k := range []string{"preview", "referer"} {
		if _, ok := notFound[k]; ok {
			t.Errorf("404 line has %s, which is only logged when set", k)
		}
	}
	preview := lines[1]
	for k, v := range map[string]any{"status": 200.0, "service": "a", "slot": "green", "instance": green, "preview": true} {
		if preview[k] != v {
			t.Errorf("preview line: %s = %#v, want %#v", k, preview[k], v)
		}
	}
}

func TestAccessLog_AClientThatLeftWhileHeldByAPauseIsLogged499(t *testing.T) {
	p, base, _, log := loggedProxy(t)
	if err := p.Pause("a", time.Minute); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req := newRequest(t, http.MethodGet, base, "a.example", "/").WithContext(ctx)
	go func() {
		waitFor(t, func() bool { return waiting(p, "a") == 1 })
		cancel()
	}()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the request was answered while held")
	}
	line := log.waitLines(t, 1)[0]
	if line["status"] != 499.0 || line["service"] != "a" || line["slot"] != "" {
		t.Errorf("line %v, want status 499 of service a without a slot", line)
	}
}

func TestAccessLog_SamplingDropsMostAnswersBelow500AndKeepsEvery5xx(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "ok", Hosts: []string{"ok.example"}}, {Name: "bad", Hosts: []string{"bad.example"}}})
	mustSwitch(t, p, "ok", "blue", testBackend(t, "ok"))
	bad, _ := statusBackend(t, "bad", always(http.StatusInternalServerError))
	mustSwitch(t, p, "bad", "blue", bad)
	log := &logBuffer{}
	p.SetAccessLog(log, 0.001)
	base := testProxy(t, p)

	// At 0.001, 2000 answers log 2 lines on average; 100 or more happen
	// with a probability far below one in 10^100.
	const oks, bads = 2000, 30
	for range oks {
		get(t, http.DefaultClient, base, "ok.example", "/")
	}
	for range bads {
		get(t, http.DefaultClient, base, "bad.example", "/")
	}
	var okLines, badLines int
	waitFor(t, func() bool {
		okLines, badLines = 0, 0
		for _, l := range log.lines(t) {
			switch l["status"] {
			case 200.0:
				okLines++
			case 500.0:
				badLines++
			}
		}
		return badLines == bads
	})
	if okLines >= 100 {
		t.Errorf("%d of %d 200 answers logged at sample 0.001", okLines, oks)
	}
}

func TestAccessLog_SetAccessLogNilStopsLogging(t *testing.T) {
	p, base, _, log := loggedProxy(t)
	get(t, http.DefaultClient, base, "a.example", "/")
	log.waitLines(t, 1)
	p.SetAccessLog(nil, 1)
	getN(t, base, 5)
	requestsObserved(t, p, 6)
	if n := len(log.lines(t)); n != 1 {
		t.Errorf("%d lines, want only the one from before SetAccessLog(nil, 1)", n)
	}
}

// failingWriter fails every write while fail is set.
type failingWriter struct {
	fail atomic.Bool
	logBuffer
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.fail.Load() {
		return 0, errors.New("no space left on device")
	}
	return w.logBuffer.Write(p)
}

func TestAccessLog_AFailingWriterFailsNoRequestAndIsReportedOnceUntilItRecovers(t *testing.T) {
	var proxyLog logBuffer
	p := New(Options{Logger: slog.New(slog.NewTextHandler(&proxyLog, nil))})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	base := testProxy(t, p)
	w := &failingWriter{}
	w.fail.Store(true)
	p.SetAccessLog(w, 1)

	reports := func() int { return strings.Count(proxyLog.String(), "access log write failed") }
	for i := range 20 {
		if code, body := get(t, http.DefaultClient, base, "a.example", "/"); code != 200 || body != "blue" {
			t.Fatalf("request %d with a failing access log: %d %q", i, code, body)
		}
	}
	requestsObserved(t, p, 20)
	if n := reports(); n != 1 {
		t.Errorf("%d reports of the failing writer after 20 requests, want 1", n)
	}

	w.fail.Store(false)
	get(t, http.DefaultClient, base, "a.example", "/")
	w.waitLines(t, 1)
	w.fail.Store(true)
	get(t, http.DefaultClient, base, "a.example", "/")
	waitFor(t, func() bool { return reports() == 2 })
	if !strings.Contains(proxyLog.String(), "access log writes succeed again") {
		t.Error("the recovery was not reported")
	}
}

func TestAccessLog_CanBeSetAndClearedWhileRequestsAreServed(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "blue"))
	base := testProxy(t, p)
	logs := []*logBuffer{{}, {}}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				resp, err := http.DefaultClient.Do(newRequest(t, http.MethodGet, base, "a.example", "/"))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status %d while the access log changes", resp.StatusCode)
					return
				}
			}
		})
	}
	for i := range 200 {
		switch i % 3 {
		case 2:
			p.SetAccessLog(nil, 1)
		default:
			p.SetAccessLog(logs[i%3], 0.5)
		}
		time.Sleep(100 * time.Microsecond)
	}
	stop()
	wg.Wait()
	for _, l := range logs {
		l.lines(t) // every line whole and valid JSON
	}
}
