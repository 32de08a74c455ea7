package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"deploy/orchestrator"
	"deploy/proxy"
	"deploy/state"
)

func get(s *Server, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

var (
	// Anything that a Content-Security-Policy of default-src 'self' blocks:
	// inline scripts, inline styles, event handler attributes, or any
	// other origin.
	inlineScript = regexp.MustCompile(`<script(\s[^>]*)?>[^<]|<script>`)
	inlineStyle  = regexp.MustCompile(`<style|\sstyle=`)
	handlerAttr  = regexp.MustCompile(`\son[a-z]+=`)
	otherOrigin  = regexp.MustCompile(`(src|href)="(https?:)?//`)
)

func TestPage_IsCompleteWithoutJavaScriptAndShowsTheLiveSlot(t *testing.T) {
	s, f := testServer(t, testToken)
	f.history = map[string][]state.Entry{"demo": {
		{Time: time.Now().Add(-time.Minute), Actor: "alice", Op: "switch", Service: "demo", From: "", To: "blue", Result: state.ResultOK},
		{Time: time.Now(), Actor: "bob", Op: "switch", Service: "demo", From: "blue", To: "green", Result: state.ResultOK},
	}}
	w := get(s, "/")
	body := w.Body.String()
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("%d %q", w.Code, w.Header().Get("Content-Type"))
	}
	for _, want := range []string{
		`<noscript><meta http-equiv="refresh" content="5"></noscript>`,
		`<script src="/assets/app.js" defer></script>`,
		`<section class="service" data-service="demo">`,
		`<dd data-field="live">green</dd>`,
		`<dd data-field="previous">blue</dd>`,
		`<tr data-slot="green" class="is-live">`,
		`<td data-field="release">r-blue</td>`,
		`<td class="num">8201</td><td class="num">82001</td>`, // port and pid of green's second instance
		`<td>blue → green</td><td>bob</td><td>ok</td>`,
		`data-action="rollback"`,
		`data-to="blue" formaction="/services/demo/switch" name="to" value="blue">Switch to blue`,
		`<input type="password" name="token"`,
		`<input type="text" name="confirm"`,
		`<input type="text" name="reason"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Only a running slot that is not live can be switched to.
	for _, hidden := range []string{`data-to="green"`, `data-to="red"`} {
		if !regexp.MustCompile(regexp.QuoteMeta(hidden) + `[^>]* hidden>`).MatchString(body) {
			t.Errorf("the switch button %s is shown", hidden)
		}
	}
	// The newest operation comes first.
	if strings.Index(body, "bob") > strings.Index(body, "alice") {
		t.Error("history is not newest first")
	}
	for name, re := range map[string]*regexp.Regexp{"inline script": inlineScript, "inline style": inlineStyle, "event handler": handlerAttr, "other origin": otherOrigin} {
		if m := re.FindString(body); m != "" {
			t.Errorf("the page has an %s (%q), which the Content-Security-Policy blocks", name, m)
		}
	}
}

func TestPage_WithoutATokenHasNoForms(t *testing.T) {
	s, _ := testServer(t, "")
	body := get(s, "/").Body.String()
	if strings.Contains(body, "<form") || strings.Contains(body, "<button") || strings.Contains(body, `name="token"`) {
		t.Errorf("read-only page has buttons:\n%s", body)
	}
	if !strings.Contains(body, `<dd data-field="live">green</dd>`) {
		t.Error("read-only page lacks the live slot")
	}
}

func TestPage_EscapesHostileServiceNamesAndHistory(t *testing.T) {
	const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	st := demoStatus()
	st.Service, st.Busy = evil, evil
	st.Slots[0].Release, st.Slots[0].Reason = evil, evil
	f := &fakeController{services: []orchestrator.ServiceStatus{st}, history: map[string][]state.Entry{evil: {{
		Time: time.Now(), Actor: evil, Op: evil, Service: evil, From: evil, To: "green", Reason: evil, Error: evil, Result: evil,
	}}}}
	s := New(f, Options{Token: testToken})
	body := get(s, "/").Body.String()
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img") || strings.Contains(body, `"><script`) {
		t.Errorf("the page lets hostile text through:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the page does not show the hostile text escaped")
	}
	// The action URL keeps the name in one path segment.
	if !strings.Contains(body, `formaction="/services/%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E%3Cimg%20src=x%20onerror=alert%282%29%3E/rollback"`) {
		t.Error("the action URL does not escape the service name")
	}
	// The result page of a refusal shows the name escaped too.
	w := post(s, "/services/"+url.PathEscape(evil)+"/rollback", nil)
	if w.Code != http.StatusUnauthorized || strings.Contains(w.Body.String(), "<script>alert") {
		t.Errorf("result page: %d\n%s", w.Code, w.Body)
	}
}

func TestStatusJSON_HasThePagesData(t *testing.T) {
	s, f := testServer(t, "")
	f.history = map[string][]state.Entry{"demo": {{Time: time.Now(), Actor: "web 127.0.0.1", Op: "rollback", Service: "demo", From: "green", To: "blue", Result: state.ResultOK}}}
	w := get(s, "/status.json")
	var v struct {
		Actions  bool `json:"actions"`
		Services []struct {
			Service string `json:"service"`
			Live    string `json:"live"`
			Slots   []struct {
				Slot       string `json:"slot"`
				Switchable bool   `json:"switchable"`
				Instances  []struct {
					Port int `json:"port"`
				} `json:"instances"`
			} `json:"slots"`
			History []struct {
				Actor    string `json:"actor"`
				MoveText string `json:"move_text"`
			} `json:"history"`
		} `json:"services"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%v %q\n%s", err, w.Header().Get("Content-Type"), w.Body)
	}
	svc := v.Services[0]
	if v.Actions || svc.Service != "demo" || svc.Live != "green" || len(svc.Slots) != 3 || !svc.Slots[0].Switchable || svc.Slots[1].Switchable ||
		len(svc.Slots[1].Instances) != 2 || svc.Slots[1].Instances[1].Port != 8201 ||
		len(svc.History) != 1 || svc.History[0].Actor != "web 127.0.0.1" || svc.History[0].MoveText != "green → blue" {
		t.Errorf("%+v", v)
	}
}

func TestServer_EveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	s, _ := testServer(t, testToken)
	answers := map[string]*httptest.ResponseRecorder{
		"GET /":               get(s, "/"),
		"GET /status.json":    get(s, "/status.json"),
		"GET /assets/app.js":  get(s, "/assets/app.js"),
		"GET /nothing":        get(s, "/nothing"),
		"POST rollback (401)": post(s, "/services/demo/rollback", nil),
	}
	want := map[string]string{
		"Content-Security-Policy": contentSecurityPolicy,
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	}
	for name, w := range answers {
		for h, v := range want {
			if got := w.Header().Get(h); got != v {
				t.Errorf("%s: %s is %q, want %q", name, h, got, v)
			}
		}
	}
	if !strings.HasPrefix(contentSecurityPolicy, "default-src 'self';") {
		t.Errorf("policy %q", contentSecurityPolicy)
	}
}

func TestServer_ServesItsAssetsWithTheirTypesAndNothingElse(t *testing.T) {
	s, _ := testServer(t, "")
	for path, typ := range map[string]string{"/assets/app.js": "text/javascript; charset=utf-8", "/assets/style.css": "text/css; charset=utf-8"} {
		w := get(s, path)
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != typ || w.Body.Len() == 0 {
			t.Errorf("%s: %d %q", path, w.Code, w.Header().Get("Content-Type"))
		}
	}
	for _, path := range []string{"/assets/", "/assets/missing.js", "/assets/../server.go", "/templates/page.html"} {
		if w := get(s, path); w.Code == http.StatusOK {
			t.Errorf("%s: %d\n%s", path, w.Code, w.Body)
		}
	}
}

func TestPage_ShowsABusyOperationMaintenanceAndPause(t *testing.T) {
	st := demoStatus()
	since := time.Date(2026, 3, 1, 12, 0, 0, 0, time.Local)
	st.Busy, st.BusySince = "release", since
	st.Maintenance = &state.Maintenance{Message: "migrating", Since: since, Actor: "alice"}
	st.Pause = &orchestrator.PauseStatus{Since: since, Waiting: 3}
	s := New(&fakeController{services: []orchestrator.ServiceStatus{st}}, Options{})
	body := get(s, "/").Body.String()
	for _, want := range []string{
		`<p class="flag busy" data-field="busy">busy: release running since 2026-03-01 12:00:00</p>`,
		`data-field="maintenance">maintenance since 2026-03-01 12:00:00 by alice: visitors get the maintenance page (&#34;migrating&#34;)</p>`,
		`data-field="pause">paused since 2026-03-01 12:00:00: 3 requests held until deploy resume demo</p>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	quiet := New(&fakeController{services: []orchestrator.ServiceStatus{demoStatus()}}, Options{})
	body = get(quiet, "/").Body.String()
	for _, f := range []string{"busy", "maintenance", "pause"} {
		if !strings.Contains(body, `data-field="`+f+`" hidden>`) {
			t.Errorf("a quiet service shows %s", f)
		}
	}
}

func TestPage_ShowsWhereJobsRunTheCacheAndTheNextRestart(t *testing.T) {
	st := demoStatus()
	since := time.Date(2026, 3, 1, 12, 0, 0, 0, time.Local)
	st.Jobs = []orchestrator.JobStatus{
		{Job: "maildrop", Slot: "green", PID: 4242, Running: true},
		{Job: "maildrop", Slot: "blue", PID: 4141, Running: true, DrainingSince: since},
	}
	st.Cache = &proxy.CacheStats{Hits: 90, Misses: 10, Entries: 12, Bytes: 3 << 20, MaxSize: 64 << 20}
	st.NextRestart = time.Date(2026, 3, 2, 4, 30, 0, 0, time.Local)
	s := New(&fakeController{services: []orchestrator.ServiceStatus{st}}, Options{})
	want := `data-field="duties">job maildrop runs on green (pid 4242); job maildrop draining on blue since 2026-03-01 12:00:00; ` +
		`cache: 90% hits, 12 entries, 3.0 of 64 MiB; next scheduled restart 2026-03-02 04:30</p>`
	if body := get(s, "/").Body.String(); !strings.Contains(body, want) {
		t.Errorf("page lacks %s", want)
	}
	quiet := New(&fakeController{services: []orchestrator.ServiceStatus{demoStatus()}}, Options{})
	if body := get(quiet, "/").Body.String(); !strings.Contains(body, `data-field="duties" hidden>`) {
		t.Errorf("a service without jobs, cache or schedule shows the duties line")
	}
}
