package httpcache

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzServe answers a page with arbitrary caching headers and status, asks
// for it with an arbitrary request Cache-Control, then asks again plainly.
// Its seeds are in testdata/fuzz/FuzzServe.
// Whatever the headers, nothing panics, the cache stays within its size,
// and an answer that is private, no-store, sets a cookie or varies on
// everything is never served from the cache.
func FuzzServe(f *testing.F) {
	f.Fuzz(func(t *testing.T, status int, cacheControl, expires, vary, setCookie, requestCacheControl string) {
		const maxSize = 4 << 10
		clk := newClock()
		c := New(Options{MaxSize: maxSize, DefaultTTL: time.Minute, Now: clk.Now})
		status = 100 + (status%500+500)%500
		origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for name, v := range map[string]string{"Cache-Control": cacheControl, "Expires": expires, "Vary": vary, "Set-Cookie": setCookie} {
				if v != "" {
					w.Header().Set(name, v)
				}
			}
			w.WriteHeader(status)
			io.WriteString(w, "page")
		})
		serve(c, blue, origin, "GET", "http://example.com/page", "Cache-Control", requestCacheControl)
		_, second := serve(c, blue, origin, "GET", "http://example.com/page")
		if s := c.Stats(); s.Bytes > maxSize {
			t.Fatalf("holds %d bytes, more than %d", s.Bytes, maxSize)
		}
		if second == Hit && forbidsSharing(cacheControl, setCookie, vary) {
			t.Fatalf("served from the cache: Cache-Control %q, Set-Cookie %q, Vary %q", cacheControl, setCookie, vary)
		}
	})
}

// forbidsSharing is the fuzz oracle, deliberately cruder than the policy:
// any mention of private or no-store, any cookie, a * among the Vary names.
func forbidsSharing(cacheControl, setCookie, vary string) bool {
	cc := strings.ToLower(cacheControl)
	if strings.Contains(cc, "private") || strings.Contains(cc, "no-store") || setCookie != "" {
		return true
	}
	for name := range strings.SplitSeq(vary, ",") {
		if strings.Trim(name, " \t") == "*" {
			return true
		}
	}
	return false
}
