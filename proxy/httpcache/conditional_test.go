package httpcache

import (
	"net/http"
	"testing"
)

const lastModified = "Sun, 01 Mar 2026 10:00:00 GMT"

// validated stores an answer with validators and returns the cache and
// origin to ask again.
func validated(t *testing.T, status int) (*Cache, http.Handler) {
	t.Helper()
	c, _ := testCache(t, Options{})
	origin := answering(status, "page", "Cache-Control", "max-age=60", "ETag", `W/"v1"`, "Last-Modified", lastModified)
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	return c, origin
}

func TestCache_Answers304WhenIfNoneMatchMatchesTheStoredETag(t *testing.T) {
	c, origin := validated(t, http.StatusOK)
	for _, inm := range []string{`"v1"`, `W/"v1"`, `"v0", W/"v1"`, `"a,b",W/"v1"`, `*`} {
		w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page", "If-None-Match", inm)
		if w.Code != http.StatusNotModified || w.Body.Len() != 0 || w.Header().Get("ETag") != `W/"v1"` ||
			w.Header().Get("Last-Modified") != lastModified || w.Header().Get("Content-Length") != "" {
			t.Errorf("If-None-Match %s: %d %q %v, want a 304 with the validators", inm, w.Code, w.Body, w.Header())
		}
	}
	for _, inm := range []string{`"v2"`, `W/"v2", "v"`, `"v1`, `v1`} {
		if w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page", "If-None-Match", inm); w.Code != http.StatusOK || w.Body.String() != "page" {
			t.Errorf("If-None-Match %s: %d %q, want the page", inm, w.Code, w.Body)
		}
	}
}

func TestCache_Answers304WhenNotModifiedSinceTheStoredLastModified(t *testing.T) {
	c, origin := validated(t, http.StatusOK)
	want := map[string]int{
		lastModified:                    http.StatusNotModified,
		"Sun, 01 Mar 2026 11:00:00 GMT": http.StatusNotModified,
		"Sun, 01 Mar 2026 09:59:59 GMT": http.StatusOK,
		"yesterday":                     http.StatusOK,
	}
	for ims, code := range want {
		if w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page", "If-Modified-Since", ims); w.Code != code {
			t.Errorf("If-Modified-Since %s: %d, want %d", ims, w.Code, code)
		}
	}
}

func TestCache_IgnoresIfModifiedSinceWhenIfNoneMatchIsPresent(t *testing.T) {
	c, origin := validated(t, http.StatusOK)
	w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page", "If-None-Match", `"v2"`, "If-Modified-Since", lastModified)
	if w.Code != http.StatusOK {
		t.Errorf("%d, want 200: the ETag did not match", w.Code)
	}
}

func TestCache_AnswersAStoredErrorInFullWhateverTheValidators(t *testing.T) {
	c, origin := validated(t, http.StatusNotFound)
	w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page", "If-None-Match", "*")
	if w.Code != http.StatusNotFound || w.Body.String() != "page" {
		t.Errorf("%d %q, want the stored 404", w.Code, w.Body)
	}
}
