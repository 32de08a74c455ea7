package httpcache

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// discard is a client that keeps nothing, so that the benchmarks measure
// the cache rather than a recorder. Its header map is cleared, not made
// anew, between requests.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }

// benchServe serves GETs of one page answered by origin, the first before
// the timer starts, and fails on any other outcome than want.
func benchServe(b *testing.B, want Outcome, origin http.Handler) {
	c := New(Options{MaxSize: 64 << 20})
	r := httptest.NewRequest("GET", "http://example.com/news/today?page=2", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w := &discard{h: http.Header{}}
	c.Serve(w, r, blue, origin)
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		if o := c.Serve(w, r, blue, origin); o != want {
			b.Fatalf("%s, want %s", o, want)
		}
	}
}

// benchOrigin answers a 4 KiB page with the given Cache-Control, allocating
// nothing itself, so that what the benchmarks count is the cache's.
func benchOrigin(cacheControl string) http.HandlerFunc {
	body := []byte(strings.Repeat("x", 4<<10))
	cc, ct := []string{cacheControl}, []string{"text/html"}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Cache-Control"], w.Header()["Content-Type"] = cc, ct
		w.Write(body)
	}
}

// BenchmarkServe_Hit answers a 4 KiB page from the cache.
func BenchmarkServe_Hit(b *testing.B) { benchServe(b, Hit, benchOrigin("max-age=3600")) }

// BenchmarkServe_Miss asks the origin for a private 4 KiB page every time:
// the cost of looking up, coalescing and judging an answer not stored.
func BenchmarkServe_Miss(b *testing.B) { benchServe(b, Miss, benchOrigin("private")) }
