package httpcache

import (
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
)

// entryOverhead approximates what an entry costs beyond its headers and
// body (the entry, its list element and map slots), so that many tiny
// answers cannot hold far more memory than MaxSize says.
const entryOverhead = 256

// entry is one stored answer. It never changes once stored, so a hit reads
// it without holding the store's lock.
type entry struct {
	key     primaryKey
	variant string

	status int
	header http.Header
	body   []byte

	storedAt       time.Time
	initialAge     time.Duration
	lifetime       time.Duration
	sharedWithAuth bool

	// Validators, read once here rather than on every conditional hit.
	etag         string
	lastModified time.Time

	size int64
}

func newEntry(k primaryKey, variant string, status int, header http.Header, body []byte, s storable, now time.Time) *entry {
	if _, typed := header["Content-Type"]; !typed && len(body) > 0 {
		// net/http would sniff it on every GET hit's first write, but a
		// HEAD hit writes no body: sniff once, so both say the same.
		header.Set("Content-Type", http.DetectContentType(body))
	}
	if status != http.StatusNoContent { // which has no body to measure
		header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	e := &entry{
		key: k, variant: variant,
		status: status, header: header, body: body,
		storedAt: now, initialAge: s.initialAge, lifetime: s.lifetime, sharedWithAuth: s.sharedWithAuth,
		etag:         textproto.TrimString(header.Get("ETag")),
		lastModified: parseTime(header.Get("Last-Modified")),
	}
	e.size = entryOverhead + int64(len(body)+len(variant)+len(k.host)+len(k.path)+len(k.query)+
		len(k.partition.Service)+len(k.partition.Release))
	for name, values := range header {
		for _, v := range values {
			e.size += int64(len(name) + len(v))
		}
	}
	return e
}

// age is how old the entry is now, by RFC 9111 §4.2.3's reckoning.
func (e *entry) age(now time.Time) time.Duration {
	return max(e.initialAge+now.Sub(e.storedAt), 0)
}

func (e *entry) fresh(now time.Time) bool { return e.age(now) < e.lifetime }

// hopByHop are the headers that describe one connection, not the answer:
// they are not stored, since a hit goes out on another connection.
var hopByHop = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// storedHeader copies the headers of an answer to store, less the
// hop-by-hop ones (and those that Connection names) and Age, which a hit
// sets afresh. Values are clipped so that a later Add on a hit's header,
// which shares them, copies instead of writing into the stored entry.
func storedHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for name, values := range h {
		out[name] = slices.Clip(slices.Clone(values))
	}
	for _, line := range h.Values("Connection") {
		for name := range strings.SplitSeq(line, ",") {
			out.Del(textproto.TrimString(name))
		}
	}
	for _, name := range hopByHop {
		delete(out, name)
	}
	delete(out, "Age")
	return out
}
