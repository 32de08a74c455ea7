package httpcache

import (
	"net/http"
	"strings"
)

// notModified reports whether a conditional request's validators match the
// stored answer (RFC 9110 §13.2.2): If-None-Match by weak comparison of
// entity tags, else If-Modified-Since against Last-Modified. Preconditions
// only apply to a 2xx answer; a stored 404 is answered in full.
func notModified(r *http.Request, e *entry) bool {
	if e.status/100 != 2 {
		return false
	}
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		return anyETagMatches(strings.Join(inm, ","), e.etag)
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" || e.lastModified.IsZero() {
		return false
	}
	since, err := http.ParseTime(ims)
	return err == nil && !e.lastModified.After(since)
}

// anyETagMatches reports whether one entity tag of an If-None-Match list
// weakly matches stored, or the list is "*", which any stored answer
// matches.
func anyETagMatches(list, stored string) bool {
	for {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			return false
		}
		if list[0] == '*' {
			return true
		}
		tag, rest, ok := scanETag(list)
		if !ok {
			return false
		}
		if stored != "" && opaqueTag(tag) == opaqueTag(stored) {
			return true
		}
		list = rest
	}
}

// scanETag splits the entity tag at the start of s from the rest. The tag is
// scanned quote to quote rather than split at commas, because a comma may
// occur inside one.
func scanETag(s string) (tag, rest string, ok bool) {
	quoted := strings.TrimPrefix(s, "W/")
	if len(quoted) < 2 || quoted[0] != '"' {
		return "", "", false
	}
	end := strings.IndexByte(quoted[1:], '"')
	if end < 0 {
		return "", "", false
	}
	n := len(s) - len(quoted) + end + 2
	return s[:n], s[n:], true
}

// opaqueTag drops the weakness mark: weak comparison ignores it.
func opaqueTag(tag string) string { return strings.TrimPrefix(tag, "W/") }
