package httpcache

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a clock for Options.Now that tests move by hand, so that entries
// age without anyone sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// The partitions tests store under: two releases of one service, and
// another service.
var (
	blue  = Partition{Service: "site", Release: "r1"}
	green = Partition{Service: "site", Release: "r2"}
	other = Partition{Service: "intranet", Release: "r1"}
)

// testCache returns a cache of 1 MiB on a clock the test moves.
func testCache(t testing.TB, o Options) (*Cache, *clock) {
	t.Helper()
	clk := newClock()
	if o.MaxSize == 0 {
		o.MaxSize = 1 << 20
	}
	o.Now = clk.Now
	return New(o), clk
}

// countingOrigin is an in-process origin that counts how often the cache
// asked it: the proxy passes its reverse proxy in the same place.
type countingOrigin struct {
	calls atomic.Int64
	h     http.HandlerFunc
}

func (o *countingOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.calls.Add(1)
	o.h(w, r)
}

func counting(h http.HandlerFunc) *countingOrigin { return &countingOrigin{h: h} }

// answering returns an origin that answers status and body, with the
// headers given as name, value pairs.
func answering(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Add(header[i], header[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// numbered returns an origin that answers "v1", "v2", ... on its calls,
// with the headers given as name, value pairs, so that tests tell a stored
// answer from a new one.
func numbered(header ...string) *countingOrigin {
	o := &countingOrigin{}
	o.h = func(w http.ResponseWriter, r *http.Request) {
		answering(http.StatusOK, "v"+strconv.FormatInt(o.calls.Load(), 10), header...)(w, r)
	}
	return o
}

// request builds a request with the headers given as name, value pairs.
func request(method, url string, header ...string) *http.Request {
	r := httptest.NewRequest(method, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// serve has c answer a request built from method, url and header pairs,
// and returns what the client got and how.
func serve(c *Cache, p Partition, origin http.Handler, method, url string, header ...string) (*httptest.ResponseRecorder, Outcome) {
	w := httptest.NewRecorder()
	return w, c.Serve(w, request(method, url, header...), p, origin)
}

// mustServe is serve for tests that expect a given outcome.
func mustServe(t testing.TB, want Outcome, c *Cache, p Partition, origin http.Handler, method, url string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	w, got := serve(c, p, origin, method, url, header...)
	if got != want {
		t.Fatalf("%s %s %v: %s, want %s", method, url, header, got, want)
	}
	return w
}
