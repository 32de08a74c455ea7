package httpcache

import (
	"net/http"
	"testing"
	"time"
)

// TestCache_StoresOnlyWhatASharedCacheMay asks twice for a page answered
// with the given status and headers: the first answer is stored, and the
// second request a hit, only when a shared cache may keep the answer.
func TestCache_StoresOnlyWhatASharedCacheMay(t *testing.T) {
	now := newClock().Now()
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	cases := []struct {
		name    string
		status  int
		header  []string
		request []string
		stored  bool
	}{
		{"max-age", 200, []string{"Cache-Control", "max-age=60"}, nil, true},
		{"s-maxage", 200, []string{"Cache-Control", "s-maxage=60"}, nil, true},
		{"Expires after Date", 200, []string{"Date", date(0), "Expires", date(time.Minute)}, nil, true},
		{"a default lifetime for a 404", 404, nil, nil, true},
		{"a lifetime for a status not cacheable by default", 500, []string{"Cache-Control", "max-age=60"}, nil, true},
		{"private", 200, []string{"Cache-Control", "private, max-age=60"}, nil, false},
		{"private naming fields", 200, []string{"Cache-Control", `max-age=60, private="X-User"`}, nil, false},
		{"private on a second Cache-Control line", 200, []string{"Cache-Control", "max-age=60", "Cache-Control", "private"}, nil, false},
		{"private inside a quoted value", 200, []string{"Cache-Control", `max-age=60, x-note="private"`}, nil, false},
		{"no-store", 200, []string{"Cache-Control", "no-store"}, nil, false},
		{"no-cache", 200, []string{"Cache-Control", "no-cache, max-age=60"}, nil, false},
		{"max-age=0", 200, []string{"Cache-Control", "max-age=0"}, nil, false},
		{"an unreadable Cache-Control", 200, []string{"Cache-Control", "max-age=soon"}, nil, false},
		{"a cookie", 200, []string{"Cache-Control", "public, max-age=60", "Set-Cookie", "session=1"}, nil, false},
		{"Expires before Date", 200, []string{"Date", date(0), "Expires", date(-time.Minute)}, nil, false},
		{"Expires that is no date", 200, []string{"Expires", "0"}, nil, false},
		{"an Age that used up the lifetime", 200, []string{"Cache-Control", "max-age=60", "Age", "60"}, nil, false},
		{"public on a status not cacheable by default", 503, []string{"Cache-Control", "public"}, nil, false},
		{"a status not cacheable by default", 302, nil, nil, false},
		{"a partial answer", 206, []string{"Cache-Control", "max-age=60"}, nil, false},
		{"a not-modified answer", 304, []string{"Cache-Control", "max-age=60"}, nil, false},
		{"trailers", 200, []string{"Cache-Control", "max-age=60", "Trailer", "X-Checksum"}, nil, false},
		{"an authorized request", 200, []string{"Cache-Control", "max-age=60"}, []string{"Authorization", "Basic YQ=="}, false},
		{"an authorized request answered public", 200, []string{"Cache-Control", "public, max-age=60"}, []string{"Authorization", "Basic YQ=="}, true},
		{"an authorized request answered s-maxage", 200, []string{"Cache-Control", "s-maxage=60"}, []string{"Authorization", "Basic YQ=="}, true},
		{"an authorized request answered must-revalidate", 200, []string{"Cache-Control", "max-age=60, must-revalidate"}, []string{"Authorization", "Basic YQ=="}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := testCache(t, Options{DefaultTTL: time.Minute})
			origin := answering(tc.status, "page", tc.header...)
			mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page", tc.request...)
			if stored := c.Stats().Stores == 1; stored != tc.stored {
				t.Fatalf("stored: %v, want %v", stored, tc.stored)
			}
			if _, second := serve(c, blue, origin, "GET", "http://example.com/page", tc.request...); (second == Hit) != tc.stored {
				t.Errorf("asked again: %s", second)
			}
		})
	}
}

func TestCache_StoresNothingWithoutALifetimeWhenThereIsNoDefaultTTL(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := answering(http.StatusOK, "page", "Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
}

func TestCache_PrefersSMaxAgeOverMaxAgeOverExpires(t *testing.T) {
	now := newClock().Now()
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	// Each answer is fresh for 100s by the field that wins, and for 10s or
	// 1000s by the others.
	cases := map[string][]string{
		"s-maxage":        {"Cache-Control", "max-age=10, s-maxage=100", "Date", date(0), "Expires", date(1000 * time.Second)},
		"max-age":         {"Cache-Control", "max-age=100", "Date", date(0), "Expires", date(10 * time.Second)},
		"Expires":         {"Date", date(0), "Expires", date(100 * time.Second)},
		"Expires no Date": {"Expires", date(100 * time.Second)},
	}
	for name, header := range cases {
		t.Run(name, func(t *testing.T) {
			c, clk := testCache(t, Options{DefaultTTL: time.Hour})
			origin := answering(http.StatusOK, "page", header...)
			mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
			clk.Advance(99 * time.Second)
			mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page")
			clk.Advance(time.Second)
			mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
		})
	}
}

func TestCache_AnswersAnAuthorizedRequestOnlyFromAnEntryTheOriginShared(t *testing.T) {
	c, _ := testCache(t, Options{})
	const auth = "Basic YQ=="
	private := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, private, "GET", "http://example.com/news")
	if w := mustServe(t, Miss, c, blue, private, "GET", "http://example.com/news", "Authorization", auth); w.Body.String() != "v2" {
		t.Errorf("authorized request answered %q, want the origin's v2", w.Body)
	}
	if w := mustServe(t, Hit, c, blue, private, "GET", "http://example.com/news"); w.Body.String() != "v1" {
		t.Errorf("the authorized answer replaced the shared one: %q", w.Body)
	}

	shared := numbered("Cache-Control", "public, max-age=60")
	mustServe(t, Miss, c, blue, shared, "GET", "http://example.com/logo")
	mustServe(t, Hit, c, blue, shared, "GET", "http://example.com/logo", "Authorization", auth)
}
