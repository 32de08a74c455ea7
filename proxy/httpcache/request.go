package httpcache

import (
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/cachecontrol/cacheobject"
)

// requestDirectives is what a cacheable request asks of the cache.
type requestDirectives struct {
	// revalidate: the client wants the origin's own answer (no-cache,
	// max-age=0, Pragma: no-cache). The lookup is skipped, but the answer
	// may be stored for the next client.
	revalidate bool
	// maxAge is the oldest entry the client accepts; negative when it did
	// not say.
	maxAge time.Duration
}

// readRequest reads the request's cache directives and reports whether the
// cache may take part in answering it at all.
func readRequest(r *http.Request) (requestDirectives, bool) {
	rd := requestDirectives{maxAge: -1}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return rd, false
	}
	if r.ContentLength > 0 || slices.Contains(r.TransferEncoding, "chunked") {
		// A GET with a body may mean something else than its URL says.
		return rd, false
	}
	if r.Header.Get("Range") != "" || r.Header.Get("Upgrade") != "" {
		// Partial answers and switched protocols are not whole pages.
		return rd, false
	}
	if lines := r.Header.Values("Cache-Control"); len(lines) > 0 {
		d, err := cacheobject.ParseRequestCacheControl(strings.Join(lines, ", "))
		if err != nil || d.NoStore {
			// A directive we cannot read may be a no-store.
			return rd, false
		}
		rd.revalidate = d.NoCache || d.MaxAge == 0
		if d.MaxAge > 0 {
			rd.maxAge = time.Duration(d.MaxAge) * time.Second
		}
	}
	if pragmaNoCache(r.Header) {
		rd.revalidate = true
	}
	return rd, true
}

// pragmaNoCache reports whether the request carries the HTTP/1.0 way of
// asking for the origin's answer, which old clients and tools still send.
func pragmaNoCache(h http.Header) bool {
	for _, line := range h.Values("Pragma") {
		for d := range strings.SplitSeq(line, ",") {
			if strings.EqualFold(textproto.TrimString(d), "no-cache") {
				return true
			}
		}
	}
	return false
}

// accepts reports whether the request may be answered with e at the given
// age.
func (rd requestDirectives) accepts(r *http.Request, e *entry, age time.Duration) bool {
	if rd.maxAge >= 0 && age > rd.maxAge {
		return false
	}
	// RFC 9111 §3.5: an answer stored for anyone is given to an
	// authenticated request only when the origin said it may be shared.
	if _, auth := r.Header["Authorization"]; auth && !e.sharedWithAuth {
		return false
	}
	return true
}
