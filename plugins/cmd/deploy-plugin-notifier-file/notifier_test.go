package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"deploy/plugins"
)

const testEvent = `{
  "event": "switch",
  "service": "www",
  "from": "blue",
  "to": "green",
  "result": "ok"
}`

// testHook starts a server that records every post and answers status, and
// returns its URL and a function returning the bodies received so far.
func testHook(t *testing.T, status int) (string, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want a JSON post", http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hooks/T0KEN-secret", func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), bodies...)
	}
}

func notify(cfg map[string]any, event string) error {
	return (&fileNotifier{}).Notify(context.Background(), []byte(event), cfg)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("file does not end with a newline: %q", b)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestNotify_AppendsEachEventAsOneLineToANewFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	cfg := map[string]any{"path": path}
	if err := notify(cfg, testEvent); err != nil {
		t.Fatal(err)
	}
	if err := notify(cfg, `{"event":"rollback","service":"www"}`); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	want := []string{
		`{"event":"switch","service":"www","from":"blue","to":"green","result":"ok"}`,
		`{"event":"rollback","service":"www"}`,
	}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("lines = %q\nwant    %q", lines, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// The umask may take bits away from 0640, never add any.
	if m := fi.Mode().Perm(); m&^0o640 != 0 || m&0o600 != 0o600 {
		t.Errorf("mode = %v, want -rw-r----- (less what the umask takes)", m)
	}
}

func TestNotify_KeepsWhatTheFileHeldAndItsMode(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte(`{"event":"earlier"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := notify(map[string]any{"path": path}, testEvent); err != nil {
		t.Fatal(err)
	}
	if lines := readLines(t, path); len(lines) != 2 || lines[0] != `{"event":"earlier"}` {
		t.Errorf("lines = %q", lines)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode changed to %v", fi.Mode().Perm())
	}
}

func TestNotify_LinesFromManyWritersAtOnceNeverInterleave(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	const writers = 50
	pad := strings.Repeat("x", 8<<10) // bigger than any buffer a torn write would show in
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			if err := notify(map[string]any{"path": path}, fmt.Sprintf(`{"n":%d,"pad":%q}`, i, pad)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	lines := readLines(t, path)
	if len(lines) != writers {
		t.Fatalf("%d lines, want %d", len(lines), writers)
	}
	seen := map[int]bool{}
	for _, l := range lines {
		var ev struct{ N int }
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line is not one event: %v", err)
		}
		seen[ev.N] = true
	}
	if len(seen) != writers {
		t.Errorf("%d distinct events, want %d", len(seen), writers)
	}
}

func TestNotify_PostsTheEventAsJSON(t *testing.T) {
	t.Parallel()
	url, got := testHook(t, http.StatusNoContent)
	if err := notify(map[string]any{"url": url}, testEvent); err != nil {
		t.Fatal(err)
	}
	want := `{"event":"switch","service":"www","from":"blue","to":"green","result":"ok"}`
	if b := got(); len(b) != 1 || b[0] != want {
		t.Errorf("posted %q, want [%q]", b, want)
	}
}

func TestNotify_WritesTheFileEvenWhenThePostFails(t *testing.T) {
	t.Parallel()
	url, _ := testHook(t, http.StatusInternalServerError)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	err := notify(map[string]any{"path": path, "url": url}, testEvent)
	if err == nil || !strings.Contains(err.Error(), "answered 500 Internal Server Error, want 2xx") {
		t.Fatalf("error = %v, want the 500 reported", err)
	}
	if strings.Contains(err.Error(), "T0KEN") {
		t.Errorf("error shows the URL's secret path: %v", err)
	}
	if lines := readLines(t, path); len(lines) != 1 {
		t.Errorf("file has %d lines, want 1", len(lines))
	}
}

func TestNotify_DeliversToBothTargets(t *testing.T) {
	t.Parallel()
	url, got := testHook(t, http.StatusOK)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := notify(map[string]any{"path": path, "url": url}, testEvent); err != nil {
		t.Fatal(err)
	}
	if lines, posts := readLines(t, path), got(); len(lines) != 1 || len(posts) != 1 || lines[0] != posts[0] {
		t.Errorf("file %q, posts %q: want the same one event in each", lines, posts)
	}
}

func TestNotify_ReportsTargetsThatCannotBeReached(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	down := srv.URL + "/hooks/T0KEN-secret"
	srv.Close()
	err := notify(map[string]any{"url": down}, testEvent)
	if err == nil || !strings.Contains(err.Error(), "post event to "+strings.TrimSuffix(srv.URL, "/")+": ") {
		t.Errorf("error = %v, want it to name the site", err)
	}
	if err != nil && strings.Contains(err.Error(), "T0KEN") {
		t.Errorf("error shows the URL's secret path: %v", err)
	}

	missing := filepath.Join(t.TempDir(), "no-such-dir", "events.jsonl")
	err = notify(map[string]any{"path": missing}, testEvent)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "append event to "+missing) {
		t.Errorf("error = %v, want a missing directory named", err)
	}
}

func TestNotify_RefusesConfigAndEventsItCannotUse(t *testing.T) {
	t.Parallel()
	abs := filepath.Join(t.TempDir(), "events.jsonl")
	for _, tc := range []struct {
		cfg   map[string]any
		event string
		want  string
	}{
		{map[string]any{}, testEvent, errNoTarget.Error()},
		{map[string]any{"path": ""}, testEvent, errNoTarget.Error()},
		{map[string]any{"path": "events.jsonl"}, testEvent, `setting "path" is "events.jsonl", a relative path`},
		{map[string]any{"path": 1.0}, testEvent, `setting "path" must be a string, not float64`},
		{map[string]any{"url": "chat.example.org/hooks/x"}, testEvent, `setting "url" is not an absolute http or https URL`},
		{map[string]any{"url": "ftp://example.org/x"}, testEvent, `setting "url" is not an absolute http or https URL`},
		{map[string]any{"path": abs}, `{"event":`, "event is not valid JSON"},
	} {
		err := notify(tc.cfg, tc.event)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("config %v, event %q: error = %v, want it to start with %q", tc.cfg, tc.event, err, tc.want)
		}
	}
	if _, err := os.Stat(abs); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an invalid event created the file: %v", err)
	}
}

func TestNotify_DescribesItselfAsTheFileNotifier(t *testing.T) {
	t.Parallel()
	n := &fileNotifier{}
	info, err := n.Info(context.Background())
	if err != nil || info.Name != "file" || info.Kind != plugins.KindNotifier || info.Version == "" {
		t.Errorf("Info = %+v, %v", info, err)
	}
	schema, err := n.ConfigSchema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names bytes.Buffer
	for _, a := range schema.Attributes {
		fmt.Fprintf(&names, "%s:%s:%v ", a.Name, a.Type, a.Required)
	}
	if want := "path:string:false url:string:false "; names.String() != want {
		t.Errorf("attributes = %q, want %q", names.String(), want)
	}
}
