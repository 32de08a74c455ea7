package httpcache

import (
	"net/http"
	"net/textproto"
	"slices"
	"strings"
)

// primaryKey names a URL within a partition: every variant of its answer,
// whichever method asked, is stored under it, and concurrent misses of it
// are coalesced. A struct rather than a joined string, so that building it
// allocates nothing.
type primaryKey struct {
	partition Partition
	// host is lower-cased and keeps its port.
	host string
	// path is escaped, so that /a%2Fb and /a/b stay two pages.
	path, query string
}

func keyOf(r *http.Request, p Partition) primaryKey {
	return primaryKey{partition: p, host: strings.ToLower(r.Host), path: r.URL.EscapedPath(), query: r.URL.RawQuery}
}

// parseVary returns the request header names a response varies on,
// canonical and sorted, and false for Vary: *, which no request can match.
func parseVary(h http.Header) ([]string, bool) {
	var names []string
	for _, line := range h.Values("Vary") {
		for name := range strings.SplitSeq(line, ",") {
			switch name = textproto.TrimString(name); name {
			case "":
			case "*":
				return nil, false
			default:
				names = append(names, http.CanonicalHeaderKey(name))
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), true
}

// variantOf names the variant a request selects among the answers stored
// under one primary key: the values of the headers the answer varies on.
// Values are trimmed, so that the same header sent with or without spaces
// selects the same variant.
func variantOf(vary []string, h http.Header) string {
	if len(vary) == 0 {
		return ""
	}
	var b strings.Builder
	for _, name := range vary {
		for i, v := range h.Values(name) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(textproto.TrimString(v))
		}
		// A newline cannot occur in a header value, so it keeps
		// "a" + "bc" apart from "ab" + "c".
		b.WriteByte('\n')
	}
	return b.String()
}
