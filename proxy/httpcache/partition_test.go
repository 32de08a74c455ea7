package httpcache

import "testing"

func TestCache_NeverAnswersOneReleaseFromAnothersEntries(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	if w := mustServe(t, Miss, c, green, origin, "GET", "http://example.com/page"); w.Body.String() != "v2" {
		t.Errorf("the new release answered %q, want its own v2", w.Body)
	}
	mustServe(t, Miss, c, other, origin, "GET", "http://example.com/page")
}

// After a switch to green and a rollback to blue, blue's pages are still
// there, and green's are there for the next switch.
func TestCache_KeepsBothReleasesSoARollbackFindsItsPages(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := numbered("Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	mustServe(t, Miss, c, green, origin, "GET", "http://example.com/page")
	if w := mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page"); w.Body.String() != "v1" {
		t.Errorf("blue answered %q after the rollback, want its v1", w.Body)
	}
	if w := mustServe(t, Hit, c, green, origin, "GET", "http://example.com/page"); w.Body.String() != "v2" {
		t.Errorf("green answered %q, want its v2", w.Body)
	}
}
