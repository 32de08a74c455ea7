package httpcache

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Many clients over few URLs, in two releases and with variants, some
// answers private, while pages are purged and stats read: run with -race,
// and the store must come out whole.
func TestCache_StaysConsistentUnderConcurrentServePurgeAndStats(t *testing.T) {
	const (
		maxSize = 32 << 10
		clients = 16
		each    = 300
	)
	c, clk := testCache(t, Options{MaxSize: maxSize})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cc := "max-age=60"
		if strings.HasSuffix(r.URL.Path, "7") {
			cc = "private"
		}
		answering(http.StatusOK, strings.Repeat("x", len(r.URL.Path)*100), "Cache-Control", cc, "Vary", "Accept-Language")(w, r)
	})
	var served atomic.Uint64
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			p := []Partition{blue, green}[i%2]
			for j := range each {
				method := []string{"GET", "GET", "GET", "HEAD", "POST"}[j%5]
				url := fmt.Sprintf("http://example.com/page/%d", (i*j)%23)
				serve(c, p, origin, method, url, "Accept-Language", []string{"de", "fr"}[j%2])
				served.Add(1)
			}
		})
	}
	stop := make(chan struct{})
	var watchers sync.WaitGroup
	watchers.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c.Purge("site", fmt.Sprintf("/page/%d*", i%3))
			if i%20 == 0 {
				clk.Advance(time.Second) // entries go stale now and then
			}
			if s := c.Stats(); s.Bytes > maxSize {
				t.Errorf("holds %d bytes, more than %d", s.Bytes, maxSize)
			}
		}
	})
	wg.Wait()
	close(stop)
	watchers.Wait()

	s := c.Stats()
	if answered := s.Hits + s.Misses + s.Coalesced + s.Bypasses; answered != served.Load() {
		t.Errorf("stats count %d answers of %d requests: %+v", answered, served.Load(), s)
	}
	if s.Hits == 0 || s.Stores == 0 {
		t.Errorf("nothing was cached: %+v", s)
	}
	assertConsistent(t, c)
}
