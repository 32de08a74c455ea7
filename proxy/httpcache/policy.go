package httpcache

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/cachecontrol/cacheobject"
)

// storable is what the policy learnt about a response it lets the cache
// store.
type storable struct {
	lifetime time.Duration
	// initialAge is the age the response already had when it arrived, as
	// an upstream cache reported it in Age.
	initialAge time.Duration
	vary       []string
	// sharedWithAuth: the origin said the answer may be given to
	// authenticated requests too (public, s-maxage or must-revalidate).
	sharedWithAuth bool
}

// judge decides, once the origin's status and headers are known, whether a
// shared cache may store the answer to r, and for how long it stays fresh.
// Requests that say no-store never get here: readRequest bypasses them.
func (c *Cache) judge(r *http.Request, status int, h http.Header, now time.Time) (storable, bool) {
	var s storable
	if r.Method != http.MethodGet || status < http.StatusOK ||
		status == http.StatusPartialContent || status == http.StatusNotModified {
		return s, false
	}
	if _, cookie := h["Set-Cookie"]; cookie || h.Get("Trailer") != "" {
		return s, false
	}
	// Every Cache-Control line counts, not only the first: a private in
	// the second line is as private as in the first.
	cc := strings.Join(h.Values("Cache-Control"), ", ")
	if mentionsPrivacy(cc) {
		return s, false
	}
	dir, err := cacheobject.ParseResponseCacheControl(cc)
	if err != nil || dir.NoCachePresent {
		return s, false
	}
	vary, ok := parseVary(h)
	if !ok {
		return s, false
	}
	obj := cacheobject.Object{
		RespDirectives:    dir,
		RespHeaders:       h,
		RespStatusCode:    status,
		RespExpiresHeader: parseTime(h.Get("Expires")),
		RespDateHeader:    parseTime(h.Get("Date")),
		ReqHeaders:        r.Header,
		ReqMethod:         r.Method,
		NowUTC:            now.UTC(),
	}
	var res cacheobject.ObjectResults
	cacheobject.CachableObject(&obj, &res)
	if len(res.OutReasons) > 0 {
		return s, false
	}
	s.lifetime, ok = c.lifetime(&obj)
	s.initialAge = ageOf(h)
	s.vary = vary
	s.sharedWithAuth = dir.Public || dir.SMaxAge != -1 || dir.MustRevalidate
	return s, ok && s.lifetime > s.initialAge
}

// lifetime is how long the response stays fresh: s-maxage, else max-age,
// else Expires minus Date, as cacheobject reckons it; without any of them,
// DefaultTTL for a status cacheable by default. Last-Modified is left out of
// obj on purpose: its heuristic lifetime is what DefaultTTL replaces.
func (c *Cache) lifetime(obj *cacheobject.Object) (time.Duration, bool) {
	d := obj.RespDirectives
	if d.SMaxAge == -1 && d.MaxAge == -1 && obj.RespHeaders.Get("Expires") == "" {
		return c.defaultTTL, c.defaultTTL > 0 && cacheableByDefault(obj.RespStatusCode)
	}
	var res cacheobject.ObjectResults
	cacheobject.ExpirationObject(obj, &res)
	if res.OutExpirationTime.IsZero() {
		// An Expires that is no date (0, -1) means already expired.
		return 0, false
	}
	lifetime := res.OutExpirationTime.Sub(obj.NowUTC)
	return lifetime, lifetime > 0
}

// mentionsPrivacy reports whether private or no-store appears anywhere in
// Cache-Control, in whatever spelling or quoting. A quoted value or a
// malformed list may hide them from a strict parser; keeping such a response
// out costs an origin request, storing it would leak a private page.
func mentionsPrivacy(cc string) bool {
	cc = strings.ToLower(cc)
	return strings.Contains(cc, "private") || strings.Contains(cc, "no-store")
}

// cacheableByDefault is RFC 9110 §15.1's list of statuses that a cache may
// store with a heuristic lifetime, less 206: partial answers are never
// stored.
func cacheableByDefault(status int) bool {
	switch status {
	case 200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501:
		return true
	}
	return false
}

// ageOf reads the Age an upstream cache gave the response; RFC 9111 §4.2.3
// counts it in the entry's age, so that caches in a row do not each start
// the lifetime afresh.
func ageOf(h http.Header) time.Duration {
	secs, err := strconv.ParseUint(h.Get("Age"), 10, 32)
	switch {
	case errors.Is(err, strconv.ErrRange):
		// RFC 9111 §1.2.2: too large to count is as old as it gets.
		secs = math.MaxInt32
	case err != nil:
		return 0
	}
	return time.Duration(min(secs, math.MaxInt32)) * time.Second
}

// parseTime reads an HTTP date; the zero time when v is none.
func parseTime(v string) time.Time {
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
