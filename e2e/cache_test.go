package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

type cacheStats struct {
	Hits, Misses, Entries int
}

func (s *site) cacheStats() cacheStats {
	s.t.Helper()
	var st []struct {
		Cache *cacheStats `json:"cache"`
	}
	if err := json.Unmarshal([]byte(s.must("status", "demo", "--json")), &st); err != nil || st[0].Cache == nil {
		s.t.Fatalf("status has no cache: %v", err)
	}
	return *st[0].Cache
}

// purge sends a PURGE request for path through the proxy.
func (s *site) purge(path string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest("PURGE", s.proxyURL+path, nil)
	req.Host = "demo.test"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCache_PagesAreKeptPerReleaseSwitchedPastAndFoundAgainAtARollback(t *testing.T) {
	t.Parallel()
	s := newSite(t, siteOptions{service: `cache { max_size = "1MB" }`})
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")
	page := func() string {
		t.Helper()
		resp, body := s.request("demo.test", "/static/theme.css")
		if resp.StatusCode != 200 {
			t.Fatalf("theme: %d %q", resp.StatusCode, body)
		}
		return slotOf(body)
	}

	for range 3 {
		if got := page(); got != "blue" {
			t.Fatalf("theme from %s, want blue", got)
		}
		s.request("demo.test", "/") // no lifetime: never kept
	}
	if st := s.cacheStats(); st.Hits != 2 || st.Entries != 1 {
		t.Errorf("after 3 theme and 3 page requests: %+v; want 2 hits and one entry", st)
	}

	s.must("switch", "demo", "--to", "green")
	if got := page(); got != "green" {
		t.Errorf("first theme request after the switch came from %s, want green", got)
	}
	s.must("rollback", "demo")
	hits := s.cacheStats().Hits
	if got := page(); got != "blue" {
		t.Errorf("theme after the rollback from %s, want blue's kept copy", got)
	}
	if st := s.cacheStats(); st.Hits != hits+1 || st.Entries != 2 {
		t.Errorf("after the rollback: %+v; want blue's entry hit again and both releases' entries kept", st)
	}

	if code, body := s.purge("/static/theme.css"); code != 200 || !strings.Contains(body, "Purged 2 entries") {
		t.Errorf("PURGE from loopback: %d %q, want both releases' entries purged", code, body)
	}
	page()
	if out := s.must("cache", "purge", "demo", "--path", "/static/*"); !strings.Contains(out, "1 entries removed") {
		t.Errorf("deploy cache purge: %q", out)
	}
	if e := s.lastEntry("cache purge"); e["detail"] != "/static/*: 1 entries" {
		t.Errorf("history entry %v", e)
	}

	// A reload that lets another network purge keeps the pages, and
	// loopback may purge no more.
	page()
	s.rewriteConfig(func(c string) string {
		return strings.Replace(c, `cache { max_size = "1MB" }`, `cache {
    max_size   = "1MB"
    purge_from = ["192.0.2.0/24"]
  }`, 1)
	})
	s.must("reload")
	if code, _ := s.purge("/static/theme.css"); code != http.StatusForbidden {
		t.Errorf("PURGE from loopback after the reload: %d, want 403", code)
	}
	if st := s.cacheStats(); st.Entries != 1 {
		t.Errorf("after a reload and a refused purge: %+v; want the page still kept", st)
	}
}
