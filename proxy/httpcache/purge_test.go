package httpcache

import (
	"net/http"
	"testing"
)

func TestCache_PurgesAPathInEveryReleaseOfTheServiceOnly(t *testing.T) {
	c, _ := testCache(t, Options{})
	varying := answering(http.StatusOK, "page", "Cache-Control", "max-age=60", "Vary", "Accept-Language")
	stored := []struct {
		p   Partition
		url string
		hdr []string
	}{
		{blue, "http://example.com/news", []string{"Accept-Language", "de"}},
		{blue, "http://example.com/news", []string{"Accept-Language", "fr"}},
		{blue, "http://www.example.com/news?page=2", nil},
		{green, "http://example.com/news", nil},
		{blue, "http://example.com/news/item", nil},
		{other, "http://example.com/news", nil},
	}
	for _, s := range stored {
		mustServe(t, Miss, c, s.p, varying, "GET", s.url, s.hdr...)
	}
	if n := c.Purge("site", "/news"); n != 4 {
		t.Errorf("Purge removed %d entries, want 4", n)
	}
	for i, s := range stored {
		want := Miss
		if i >= 4 {
			want = Hit
		}
		mustServe(t, want, c, s.p, varying, "GET", s.url, s.hdr...)
	}
}

func TestCache_PurgesByPrefixOrEverything(t *testing.T) {
	c, _ := testCache(t, Options{})
	for _, path := range []string{"/news/a", "/news/b", "/newsletter", "/caf%C3%A9", "/"} {
		mustServe(t, Miss, c, blue, page(), "GET", "http://example.com"+path)
	}
	mustServe(t, Miss, c, other, page(), "GET", "http://example.com/news/a")
	if n := c.Purge("site", "/news/*"); n != 2 {
		t.Errorf(`Purge("/news/*") removed %d, want 2`, n)
	}
	if n := c.Purge("site", "/café"); n != 1 {
		t.Errorf(`Purge("/café") removed %d, want the escaped path`, n)
	}
	if n := c.Purge("site", ""); n != 2 {
		t.Errorf(`Purge("") removed %d, want the 2 left`, n)
	}
	if s := c.Stats(); s.Entries != 1 {
		t.Errorf("%d entries left, want the other service's", s.Entries)
	}
}

// An answer that left the origin before a purge holds the content the purge
// was meant to remove.
func TestCache_DoesNotStoreAnAnswerFetchedBeforeAPurge(t *testing.T) {
	c, _ := testCache(t, Options{})
	origin := gated("Cache-Control", "max-age=60")
	done := make(chan Outcome)
	go func() {
		_, o := serve(c, blue, origin, "GET", "http://example.com/page")
		done <- o
	}()
	<-origin.entered
	c.Purge("site", "/page")
	close(origin.gate)
	<-done
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/page")
	mustServe(t, Hit, c, blue, origin, "GET", "http://example.com/page")
}
