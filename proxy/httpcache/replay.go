package httpcache

import (
	"maps"
	"net/http"
	"strconv"
	"time"
)

// notModifiedHeaders are the headers a 304 repeats from the stored answer
// (RFC 9110 §15.4.5), validators included, so that the client's copy stays
// up to date. They are spelt canonically ("Etag"), as the map keys are.
var notModifiedHeaders = []string{"Cache-Control", "Content-Location", "Date", "Etag", "Expires", "Last-Modified", "Vary"}

// answer answers r from a fresh stored entry, if there is one it accepts,
// and reports whether it did.
func (c *Cache) answer(w http.ResponseWriter, r *http.Request, k primaryKey, rd requestDirectives) bool {
	now := c.now()
	e := c.store.get(k, r.Header, now)
	if e == nil {
		return false
	}
	age := e.age(now)
	if !rd.accepts(r, e, age) {
		return false
	}
	e.replay(w, r, age)
	return true
}

// replay writes the stored answer, or a 304 when the client's validators
// say it already has it.
func (e *entry) replay(w http.ResponseWriter, r *http.Request, age time.Duration) {
	h := w.Header()
	if notModified(r, e) {
		for _, name := range notModifiedHeaders {
			if v, ok := e.header[name]; ok {
				h[name] = v
			}
		}
		h["Age"] = []string{ageValue(age)}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	maps.Copy(h, e.header)
	h["Age"] = []string{ageValue(age)}
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		// An error means the client left; there is nobody to tell.
		_, _ = w.Write(e.body)
	}
}

func ageValue(age time.Duration) string { return strconv.FormatInt(int64(age/time.Second), 10) }
