package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"deploy/internal/testwait"
)

// cachingBackend starts a real HTTP server that answers its name and the
// path, cacheable by a shared cache for paths with /public/ and private
// otherwise; paths with /hold/ are answered only once release is closed. It counts the requests it got.
func cachingBackend(t testing.TB, name string, release <-chan struct{}) (addr string, hits *atomic.Int64) {
	t.Helper()
	hits = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch {
		case strings.Contains(r.URL.Path, "/hold/"):
			<-release
			w.Header().Set("Cache-Control", "public, max-age=60")
		case strings.Contains(r.URL.Path, "/public/"):
			w.Header().Set("Cache-Control", "public, max-age=60")
		default:
			w.Header().Set("Cache-Control", "private, max-age=60")
		}
		io.WriteString(w, name+" "+r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), hits
}

func cachingProxy(t *testing.T, purgeFrom ...netip.Prefix) *Proxy {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}, PreviewHosts: []string{"preview.a.example"},
		Cache: &CacheOptions{MaxSize: 1 << 20, PurgeFrom: purgeFrom}}})
	return p
}

func TestCache_AnswersCacheablePagesItselfAndNeverPrivateOnes(t *testing.T) {
	p := cachingProxy(t)
	blue, hits := cachingBackend(t, "blue", nil)
	mustSwitch(t, p, "a", "blue", blue)
	base := testProxy(t, p)

	for range 3 {
		if code, body := get(t, http.DefaultClient, base, "a.example", "/public/page"); code != 200 || body != "blue /public/page" {
			t.Fatalf("cacheable page: %d %q", code, body)
		}
		get(t, http.DefaultClient, base, "a.example", "/private/page")
	}
	if n := hits.Load(); n != 1+3 {
		t.Errorf("the slot got %d requests, want 1 for the cacheable page and 3 for the private one", n)
	}
	if err := p.SetPreview("a", Backend{Slot: "blue", Addrs: []string{blue}}); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, http.DefaultClient, base, "preview.a.example", "/public/page"); code != 200 {
		t.Fatalf("preview: %d", code)
	}
	if n := hits.Load(); n != 5 {
		t.Errorf("a preview request was answered from the cache (slot requests %d, want 5)", n)
	}
	st, ok := p.CacheStats("a")
	if !ok || st.Hits != 2 || st.Entries != 1 || st.Bytes == 0 || st.MaxSize != 1<<20 {
		t.Errorf("cache stats %+v, %v; want 2 hits and the one entry", st, ok)
	}
}

func TestCache_ASwitchReachesTheNewReleaseAndARollbackFindsTheOldOnesPages(t *testing.T) {
	p := cachingProxy(t)
	blue, blueHits := cachingBackend(t, "blue", nil)
	green, greenHits := cachingBackend(t, "green", nil)
	if _, err := p.Switch("a", Backend{Slot: "blue", Release: "r1", Addrs: []string{blue}}); err != nil {
		t.Fatal(err)
	}
	base := testProxy(t, p)
	get(t, http.DefaultClient, base, "a.example", "/public/theme.css")

	if _, err := p.Switch("a", Backend{Slot: "green", Release: "r2", Addrs: []string{green}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, body := get(t, http.DefaultClient, base, "a.example", "/public/theme.css"); body != "green /public/theme.css" {
			t.Fatalf("after the switch: %q, want the new release's page", body)
		}
	}
	if _, err := p.Switch("a", Backend{Slot: "blue", Release: "r1", Addrs: []string{blue}}); err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, http.DefaultClient, base, "a.example", "/public/theme.css"); body != "blue /public/theme.css" {
		t.Errorf("after the rollback: %q, want the old release's page", body)
	}
	if b, g := blueHits.Load(), greenHits.Load(); b != 1 || g != 1 {
		t.Errorf("blue got %d requests and green %d; want one each, every other answer from the cache", b, g)
	}
}

func TestCache_PurgeIsObeyedFromTrustedPeersOnly(t *testing.T) {
	p := cachingProxy(t, netip.MustParsePrefix("192.0.2.0/24"))
	blue, hits := cachingBackend(t, "blue", nil)
	mustSwitch(t, p, "a", "blue", blue)
	base := testProxy(t, p)
	get(t, http.DefaultClient, base, "a.example", "/public/page")

	code, body, _ := send(t, newRequest(t, methodPurge, base, "a.example", "/public/page"))
	if code != http.StatusForbidden || !strings.Contains(body, "not allowed") {
		t.Errorf("PURGE from loopback, not in purge_from: %d %q, want 403", code, body)
	}
	get(t, http.DefaultClient, base, "a.example", "/public/page")
	if n := hits.Load(); n != 1 {
		t.Fatalf("a refused purge emptied the cache (slot requests %d, want 1)", n)
	}

	// The same request from a trusted peer, through the handler.
	req := httptest.NewRequest(methodPurge, "/public/page", nil)
	req.Host, req.RemoteAddr = "a.example", "192.0.2.7:4711"
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Purged 1 entries") {
		t.Errorf("PURGE from a trusted peer: %d %q", rec.Code, rec.Body.String())
	}
	get(t, http.DefaultClient, base, "a.example", "/public/page")
	if n := hits.Load(); n != 2 {
		t.Errorf("after the purge the slot got %d requests, want the page asked again", n)
	}
	if n, err := p.PurgeCache("a", "/public/*"); n != 1 || err != nil {
		t.Errorf("PurgeCache by prefix = %d, %v; want the one page", n, err)
	}
}

func TestCache_ConcurrentMissesOfOnePageMakeOneRequestToTheSlot(t *testing.T) {
	p := cachingProxy(t)
	release := make(chan struct{})
	blue, hits := cachingBackend(t, "blue", release)
	mustSwitch(t, p, "a", "blue", blue)
	base := testProxy(t, p)

	var wg sync.WaitGroup
	bodies := make([]string, 20)
	for i := range bodies {
		wg.Go(func() { _, bodies[i] = get(t, http.DefaultClient, base, "a.example", "/hold/page") })
	}
	testwait.For(t, "every request in the proxy", func() bool { return p.InFlight("a", "blue") == 20 })
	close(release)
	wg.Wait()
	for _, b := range bodies {
		if b != "blue /hold/page" {
			t.Fatalf("a client got %q", b)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("20 concurrent misses made %d requests to the slot, want 1", n)
	}
}

func TestCache_PurgeOfAServiceWithoutCacheSaysSo(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", testBackend(t, "one"))
	base := testProxy(t, p)
	if code, body, _ := send(t, newRequest(t, methodPurge, base, "a.example", "/")); code != http.StatusNotFound || !strings.Contains(body, "no cache") {
		t.Errorf("PURGE without a cache: %d %q, want 404", code, body)
	}
	if _, err := p.PurgeCache("a", ""); err == nil {
		t.Errorf("PurgeCache of a service without cache succeeded")
	}
}

func TestCache_KeysAZopeSiteOnThePathsVisitorsSeeAndSendsMissesRewritten(t *testing.T) {
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}, VirtualHost: &VirtualHost{Root: "/Plone"},
		Cache: &CacheOptions{MaxSize: 1 << 20}}})
	blue, hits := cachingBackend(t, "blue", nil)
	mustSwitch(t, p, "a", "blue", blue)
	base := testProxy(t, p)
	for range 2 {
		_, body := get(t, http.DefaultClient, base, "a.example", "/public/logo.png")
		if !strings.HasPrefix(body, "blue /VirtualHostBase/http/a.example:") || !strings.HasSuffix(body, "/Plone/VirtualHostRoot/public/logo.png") {
			t.Fatalf("through the cache: %q, want the slot to have seen the rewritten path", body)
		}
	}
	if n, err := p.PurgeCache("a", "/public/logo.png"); n != 1 || err != nil || hits.Load() != 1 {
		t.Errorf("purge of the visitors' path = %d, %v after %d slot requests; want the one entry, kept after one request", n, err, hits.Load())
	}
}
