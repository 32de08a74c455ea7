package httpcache

import (
	"net/http"
	"time"
)

// fetch has origin answer r through a tee and stores the answer when the
// policy allows and the whole of it came through. notStored, when not nil,
// is called as soon as the headers show the answer will not be stored:
// followers of a coalesced miss need not wait for its body.
func (c *Cache) fetch(w http.ResponseWriter, r *http.Request, k primaryKey, origin http.Handler, notStored func()) {
	generation := c.store.generation(k.partition.Service)
	var (
		s      storable
		header http.Header
		now    time.Time
	)
	t := &tee{w: w, limit: c.maxEntry, keep: func(status int, h http.Header) bool {
		now = c.now()
		var ok bool
		if s, ok = c.judge(r, status, h, now); ok {
			// Copied now, as the client gets them: what the origin
			// does to h after WriteHeader never reaches the wire.
			header = storedHeader(h)
		} else if notStored != nil {
			notStored()
		}
		return ok
	}}
	origin.ServeHTTP(t, r)
	body, whole := t.kept(r)
	if !whole {
		return
	}
	if e := newEntry(k, variantOf(s.vary, r.Header), t.status, header, body, s, now); e.size <= c.maxEntry {
		c.store.put(e, s.vary, generation)
	}
}
