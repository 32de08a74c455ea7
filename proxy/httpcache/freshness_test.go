package httpcache

import (
	"testing"
	"time"
)

func TestCache_TreatsAStaleEntryAsAMissAndReplacesIt(t *testing.T) {
	c, clk := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	clk.Advance(59 * time.Second)
	if w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page"); w.Body.String() != "v1" || w.Header().Get("Age") != "59" {
		t.Errorf("hit at 59s answered %q with Age %q", w.Body, w.Header().Get("Age"))
	}
	clk.Advance(time.Second)
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	if w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page"); w.Body.String() != "v2" || w.Header().Get("Age") != "0" {
		t.Errorf("hit after the refresh answered %q with Age %q", w.Body, w.Header().Get("Age"))
	}
	if n := c.Stats().Entries; n != 1 {
		t.Errorf("%d entries, want the stale one replaced", n)
	}
}

func TestCache_CountsTheAgeTheOriginReported(t *testing.T) {
	c, clk := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60", "Age", "50")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	clk.Advance(9 * time.Second)
	if w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page"); w.Header().Get("Age") != "59" {
		t.Errorf("Age %q, want the origin's 50 plus 9 stored", w.Header().Get("Age"))
	}
	clk.Advance(time.Second)
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
}

func TestCache_GivesTheDefaultTTLToAnAnswerWithoutALifetime(t *testing.T) {
	c, clk := testCache(t, Options{DefaultTTL: 10 * time.Second})
	origin := numbered()
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	clk.Advance(9 * time.Second)
	mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page")
	clk.Advance(time.Second)
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
}

// A client that asks for the origin's own answer gets it, and the answer it
// got is what the next client is served.
func TestCache_AsksTheOriginWhenTheClientWantsAFreshAnswer(t *testing.T) {
	for _, header := range [][]string{
		{"Cache-Control", "no-cache"},
		{"Cache-Control", "max-age=0"},
		{"Pragma", "no-cache"},
	} {
		t.Run(header[0]+": "+header[1], func(t *testing.T) {
			c, _ := testCache(t, Options{})
			origin := numbered("Cache-Control", "max-age=60")
			mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
			if w := mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page", header...); w.Body.String() != "v2" {
				t.Errorf("answered %q, want the origin's v2", w.Body)
			}
			if w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page"); w.Body.String() != "v2" {
				t.Errorf("next client answered %q, want the stored v2", w.Body)
			}
		})
	}
}

func TestCache_BypassesARequestThatSaysNoStore(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	for _, cc := range []string{"no-store", "max-age=60, NO-STORE", "max-age"} {
		mustServe(t, Bypass, c, blue, origin, "GET", "http://example.com/page", "Cache-Control", cc)
	}
	if w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page"); w.Body.String() != "v1" {
		t.Errorf("a no-store request replaced the stored answer with %q", w.Body)
	}
}

func TestCache_HonoursTheOldestAgeTheClientAccepts(t *testing.T) {
	c, clk := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	clk.Advance(30 * time.Second)
	mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page", "Cache-Control", "max-age=30")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page", "Cache-Control", "max-age=29")
	if w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page"); w.Body.String() != "v2" {
		t.Errorf("answered %q, want v2 stored by the request that found v1 too old", w.Body)
	}
}
