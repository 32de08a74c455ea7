package httpcache

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// entrySize is what one answer of the pages these tests store costs.
func entrySize(t *testing.T) int64 {
	t.Helper()
	c, _ := testCache(t, Options{})
	mustServe(t, Miss, c, blue, page(), "GET", "http://example.com/p0")
	return c.Stats().Bytes
}

func page() http.Handler { return answering(http.StatusOK, "page", "Cache-Control", "max-age=60") }

func TestCache_EvictsTheLeastRecentlyUsedEntriesFirst(t *testing.T) {
	c, _ := testCache(t, Options{MaxSize: 10 * entrySize(t)})
	for i := range 10 {
		mustServe(t, Miss, c, blue, page(), "GET", fmt.Sprintf("http://example.com/p%d", i))
	}
	mustServe(t, Hit, c, blue, page(), "GET", "http://example.com/p0")
	mustServe(t, Miss, c, blue, page(), "GET", "http://example.com/pa")
	if s := c.Stats(); s.Evictions != 1 || s.Entries != 10 {
		t.Fatalf("stats %+v, want one eviction to make room", s)
	}
	mustServe(t, Hit, c, blue, page(), "GET", "http://example.com/p0")
	mustServe(t, Hit, c, blue, page(), "GET", "http://example.com/p2")
	mustServe(t, Miss, c, blue, page(), "GET", "http://example.com/p1")
}

func TestCache_NeverHoldsMoreThanMaxSize(t *testing.T) {
	const maxSize = 16 << 10
	c, _ := testCache(t, Options{MaxSize: maxSize})
	for i := range 200 {
		body := strings.Repeat("x", i*7%(maxSize/8-600))
		mustServe(t, Miss, c, blue, answering(http.StatusOK, body, "Cache-Control", "max-age=60"), "GET", fmt.Sprintf("http://example.com/%d", i))
		if s := c.Stats(); s.Bytes > maxSize {
			t.Fatalf("holds %d bytes after %d stores, more than %d", s.Bytes, i+1, maxSize)
		}
	}
	if s := c.Stats(); s.Stores != 200 || s.Evictions == 0 || uint64(s.Entries) != s.Stores-s.Evictions {
		t.Errorf("stats %+v, want every answer stored and the oldest evicted", s)
	}
	assertConsistent(t, c)
}

func TestCache_DoesNotStoreAnAnswerLargerThanAnEighthOfMaxSize(t *testing.T) {
	c, _ := testCache(t, Options{MaxSize: 80 << 10})
	big := strings.Repeat("x", 10<<10)
	origin := answering(http.StatusOK, big, "Cache-Control", "max-age=60")
	if w := mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/big"); w.Body.String() != big {
		t.Errorf("the client got %d bytes of %d", w.Body.Len(), len(big))
	}
	mustServe(t, Miss, c, blue, origin, "GET", "http://example.com/big")
	small := answering(http.StatusOK, big[:9<<10], "Cache-Control", "max-age=60")
	mustServe(t, Miss, c, blue, small, "GET", "http://example.com/small")
	mustServe(t, Hit, c, blue, small, "GET", "http://example.com/small")
}

// assertConsistent checks that the store's map, list and byte count agree.
func assertConsistent(t *testing.T, c *Cache) {
	t.Helper()
	s := c.store
	s.mu.Lock()
	defer s.mu.Unlock()
	var bytes int64
	inMap := 0
	for _, res := range s.byKey {
		if len(res.variants) == 0 {
			t.Error("a key without variants was kept")
		}
		inMap += len(res.variants)
	}
	for el := s.lru.Front(); el != nil; el = el.Next() {
		bytes += el.Value.(*entry).size
	}
	if inMap != s.lru.Len() || bytes != s.bytes || s.bytes > s.max {
		t.Errorf("map holds %d entries, list %d; list sums %d bytes, count says %d, max %d", inMap, s.lru.Len(), bytes, s.bytes, s.max)
	}
}
