package httpcache

import (
	"net/url"
	"strings"
)

// Purge removes the service's entries in every partition (every release)
// whose URL path matches: "" matches every path; a pattern ending in "*"
// matches paths with that prefix; anything else matches that exact path
// (any query string, any host, any Vary variant). Paths are compared
// decoded, as a CMS names its pages. It returns how many entries were
// removed. An answer on its way from the origin while the purge runs is not
// stored.
func (c *Cache) Purge(service, path string) int {
	return c.store.purge(service, func(k primaryKey) bool { return pathMatches(path, k.path) })
}

func pathMatches(pattern, escapedPath string) bool {
	if pattern == "" {
		return true
	}
	path, err := url.PathUnescape(escapedPath)
	if err != nil {
		path = escapedPath
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return path == pattern
}
