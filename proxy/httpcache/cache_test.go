package httpcache

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCache_ServesAFreshResponseWithoutAskingTheOrigin(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page")
	if w.Body.String() != "v1" || w.Header().Get("Age") != "0" || w.Header().Get("Content-Length") != "2" {
		t.Errorf("hit answered %q with Age %q and Content-Length %q", w.Body, w.Header().Get("Age"), w.Header().Get("Content-Length"))
	}
	if n := origin.calls.Load(); n != 1 {
		t.Errorf("origin asked %d times", n)
	}
	if s := c.Stats(); s.Hits != 1 || s.Misses != 1 || s.Stores != 1 || s.Entries != 1 || s.Bytes <= 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestCache_AnswersHeadFromAStoredGet(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	w := mustServe(t, Hit, c, blue, origin, "HEAD", "http://example.com/page")
	if w.Body.Len() != 0 || w.Header().Get("Content-Length") != "2" || w.Header().Get("Content-Type") == "" {
		t.Errorf("HEAD hit answered body %q, headers %v", w.Body, w.Header())
	}
}

func TestCache_SendsAHeadMissToTheOriginAsHeadAndStoresNothing(t *testing.T) {
	c, _ := testCache(t, Options{})
	var methods []string
	origin := counting(func(w http.ResponseWriter, r *http.Request) {
		methods = append(methods, r.Method)
		answering(http.StatusOK, "page", "Cache-Control", "max-age=60")(w, r)
	})
	mustServe(t, Miss, c, blue, origin, "HEAD", "http://example.com/page")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page")
	if strings.Join(methods, " ") != "HEAD GET" {
		t.Errorf("origin saw %v, want HEAD then GET", methods)
	}
}

func TestCache_KeysByHostIgnoringCaseButKeepingThePort(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://Example.com:8080/page")
	mustServe(t, Hit, c, blue, origin, "GET", "http://example.COM:8080/page")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com:8081/page")
	mustServe(t, Miss, c, blue, origin, "GET", "http://www.example.com:8080/page")
}

func TestCache_KeysByPathAndQuery(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/a?x=1")
	mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/a?x=1")
	for _, url := range []string{"/a?x=2", "/a", "/b?x=1", "/a%2F?x=1", "/a?x=1&y=2"} {
		mustServe(t, Miss, c, blue, origin, "GET", "http://example.com"+url)
	}
}

func TestCache_StoresOneEntryPerVariantNamedByVary(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := counting(func(w http.ResponseWriter, r *http.Request) {
		answering(http.StatusOK, r.Header.Get("Accept-Encoding"), "Cache-Control", "max-age=60", "Vary", "Accept-Encoding")(w, r)
	})
	const url = "http://example.com/page"
	mustServe(t, Miss, c, blue, origin, "GET", url, "Accept-Encoding", "gzip")
	mustServe(t, Miss, c, blue, origin, "GET", url, "Accept-Encoding", "br")
	for _, ae := range []string{"gzip", " gzip ", "br"} {
		w := mustServe(t, Hit, c, blue, origin, "GET", url, "Accept-Encoding", ae)
		if got := w.Body.String(); got != strings.TrimSpace(ae) {
			t.Errorf("Accept-Encoding %q answered the variant %q", ae, got)
		}
	}
	mustServe(t, Miss, c, blue, origin, "GET", url)
	if n := c.Stats().Entries; n != 3 {
		t.Errorf("%d entries, want one per variant (3)", n)
	}
}

// When the origin starts to vary on other headers, the variants stored
// under the old ones can no longer be told apart: they must go.
func TestCache_DropsTheVariantsOfAVaryTheOriginNoLongerSends(t *testing.T) {
	c, _ := testCache(t, Options{})
	vary := "Accept-Encoding"
	origin := counting(func(w http.ResponseWriter, r *http.Request) {
		answering(http.StatusOK, "varies on "+vary, "Cache-Control", "max-age=60", "Vary", vary)(w, r)
	})
	const url = "http://example.com/page"
	mustServe(t, Miss, c, blue, origin, "GET", url, "Accept-Encoding", "gzip")
	vary = "Accept-Language"
	mustServe(t, Miss, c, blue, origin, "GET", url, "Accept-Language", "de", "Cache-Control", "no-cache")
	w := mustServe(t, Hit, c, blue, origin, "GET", url, "Accept-Encoding", "gzip", "Accept-Language", "de")
	if w.Body.String() != "varies on Accept-Language" || c.Stats().Entries != 1 {
		t.Errorf("answered %q with %d entries, want only the answer that varies on Accept-Language", w.Body, c.Stats().Entries)
	}
}

func TestCache_NeverStoresVaryStar(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := numbered("Cache-Control", "public, max-age=60", "Vary", "Accept-Language, *")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
}

func TestCache_BypassesMethodsOtherThanGetAndHead(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PURGE"} {
		if w := mustServe(t, Bypass, c, blue, origin, m, "http://example.com/page"); w.Body.String() == "v1" {
			t.Errorf("%s answered from the stored GET", m)
		}
	}
	if s := c.Stats(); s.Bypasses != 6 || s.Stores != 1 || origin.calls.Load() != 7 {
		t.Errorf("stats %+v after %d origin calls", s, origin.calls.Load())
	}
}

func TestCache_BypassesAGetWithABody(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/search")
	withBody := request("GET", "http://example.com/search")
	withBody.Body, withBody.ContentLength = http.NoBody, 3
	chunked := request("GET", "http://example.com/search")
	chunked.Body, chunked.ContentLength, chunked.TransferEncoding = http.NoBody, -1, []string{"chunked"}
	for _, r := range []*http.Request{withBody, chunked} {
		if got := c.Serve(httptest.NewRecorder(), r, blue, origin); got != Bypass {
			t.Errorf("GET with a body (length %d, %v): %s", r.ContentLength, r.TransferEncoding, got)
		}
	}
}

func TestCache_BypassesRangeRequestsAndUpgrades(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/file")
	mustServe(t, Bypass, c, blue, origin, "GET", "http://example.com/file", "Range", "bytes=0-1")
	mustServe(t, Bypass, c, blue, origin, "GET", "http://example.com/file", "Connection", "Upgrade", "Upgrade", "websocket")
}

func TestOutcome_NamesEachOutcome(t *testing.T) {
	want := map[Outcome]string{Bypass: "bypass", Miss: "miss", Hit: "hit", Coalesced: "coalesced", Outcome(9): "unknown"}
	for o, name := range want {
		if o.String() != name {
			t.Errorf("Outcome(%d) = %q, want %q", o, o.String(), name)
		}
	}
}

func TestNew_PanicsWithoutAMaxSize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(Options{}) did not panic")
		}
	}()
	New(Options{})
}
