package httpcache

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// gatedOrigin answers with header once the test opens its gate, so that
// requests pile up behind the first one; entered receives each call.
type gatedOrigin struct {
	*countingOrigin
	gate    chan struct{}
	entered chan struct{}
}

func gated(header ...string) *gatedOrigin {
	g := &gatedOrigin{gate: make(chan struct{}), entered: make(chan struct{}, 100)}
	g.countingOrigin = counting(func(w http.ResponseWriter, r *http.Request) {
		g.entered <- struct{}{}
		<-g.gate
		answering(http.StatusOK, "page for "+r.Header.Get("Accept-Encoding"), header...)(w, r)
	})
	return g
}

// followed returns a cache whose followers report to the returned group
// when they start to wait: n of them are expected.
func followed(t *testing.T, n int) (*Cache, *sync.WaitGroup) {
	c, _ := testCache(t, Options{})
	var joined sync.WaitGroup
	joined.Add(n)
	c.flights.waiting = joined.Done
	return c, &joined
}

// concurrently sends n GETs of url through c, opens the origin's gate once
// all but the leader wait, and returns how each was answered.
func concurrently(t *testing.T, n int, origin *gatedOrigin, header ...string) (map[Outcome]int, map[string]int) {
	t.Helper()
	c, joined := followed(t, n-1)
	outcomes, bodies := map[Outcome]int{}, map[string]int{}
	var mu sync.Mutex
	var clients sync.WaitGroup
	for range n {
		clients.Go(func() {
			w, o := serve(c, blue, origin, "GET", "http://example.com/page", header...)
			mu.Lock()
			defer mu.Unlock()
			outcomes[o]++
			bodies[w.Body.String()]++
		})
	}
	joined.Wait()
	close(origin.gate)
	clients.Wait()
	return outcomes, bodies
}

func TestCache_MakesOneOriginRequestForConcurrentMisses(t *testing.T) {
	origin := gated("Cache-Control", "max-age=60")
	outcomes, bodies := concurrently(t, 20, origin)
	if n := origin.calls.Load(); n != 1 {
		t.Errorf("origin asked %d times, want once", n)
	}
	if outcomes[Miss] != 1 || outcomes[Coalesced] != 19 || bodies["page for "] != 20 {
		t.Errorf("outcomes %v, bodies %v; want one miss and 19 coalesced, all answered the page", outcomes, bodies)
	}
}

func TestCache_SendsFollowersToTheOriginWhenTheLeadersAnswerIsPrivate(t *testing.T) {
	origin := gated("Cache-Control", "private, max-age=60")
	outcomes, bodies := concurrently(t, 20, origin)
	if n := origin.calls.Load(); n != 20 {
		t.Errorf("origin asked %d times, want by each of 20 clients", n)
	}
	if outcomes[Miss] != 20 || bodies["page for "] != 20 {
		t.Errorf("outcomes %v, bodies %v; want 20 misses answered the page", outcomes, bodies)
	}
}

func TestCache_SendsFollowersOfAnotherVariantToTheOrigin(t *testing.T) {
	origin := gated("Cache-Control", "max-age=60", "Vary", "Accept-Encoding")
	c, joined := followed(t, 1)
	leader := make(chan Outcome)
	go func() {
		_, o := serve(c, blue, origin, "GET", "http://example.com/page", "Accept-Encoding", "gzip")
		leader <- o
	}()
	<-origin.entered
	go func() {
		joined.Wait()
		close(origin.gate)
	}()
	w, o := serve(c, blue, origin, "GET", "http://example.com/page", "Accept-Encoding", "br")
	if o != Miss || w.Body.String() != "page for br" || <-leader != Miss || origin.calls.Load() != 2 {
		t.Errorf("follower %s answered %q after %d origin calls, want its own variant from the origin", o, w.Body, origin.calls.Load())
	}
}

func TestCache_StopsWaitingWhenAFollowersClientLeaves(t *testing.T) {
	origin := gated("Cache-Control", "max-age=60")
	c, joined := followed(t, 1)
	leader := make(chan Outcome)
	go func() {
		_, o := serve(c, blue, origin, "GET", "http://example.com/page")
		leader <- o
	}()
	<-origin.entered
	ctx, leave := context.WithCancel(context.Background())
	go func() {
		joined.Wait()
		leave()
	}()
	w := httptest.NewRecorder()
	// Returning at all, while the leader is held at the gate, is the proof.
	o := c.Serve(w, request("GET", "http://example.com/page").WithContext(ctx), blue, origin)
	if o != Miss || w.Body.Len() != 0 || origin.calls.Load() != 1 {
		t.Errorf("follower whose client left: %s, wrote %q, origin asked %d times", o, w.Body, origin.calls.Load())
	}
	close(origin.gate)
	if o := <-leader; o != Miss {
		t.Errorf("leader: %s", o)
	}
}

// ReverseProxy aborts a response whose body copy fails with a panic; the
// followers must not wait for a leader that is gone.
func TestCache_LetsFollowersGoWhenTheLeadersOriginPanics(t *testing.T) {
	gate, entered := make(chan struct{}), make(chan struct{})
	origin := counting(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Leader") != "" {
			close(entered)
			<-gate
			panic(http.ErrAbortHandler)
		}
		answering(http.StatusOK, "page", "Cache-Control", "max-age=60")(w, r)
	})
	c, joined := followed(t, 1)
	go func() {
		defer func() { recover() }()
		serve(c, blue, origin, "GET", "http://example.com/page", "X-Leader", "1")
	}()
	<-entered
	go func() {
		joined.Wait()
		close(gate)
	}()
	w, o := serve(c, blue, origin, "GET", "http://example.com/page")
	if o != Miss || w.Body.String() != "page" || origin.calls.Load() != 2 {
		t.Errorf("follower %s answered %q after %d origin calls, want its own answer", o, w.Body, origin.calls.Load())
	}
}

// The followers of a private answer go to the origin as soon as its headers
// show it, not once its body is through: the follower is answered while
// the leader is still held mid-body.
func TestCache_LetsFollowersGoOnceTheLeadersHeadersShowItWillNotBeStored(t *testing.T) {
	entered, gate, finish := make(chan struct{}), make(chan struct{}), make(chan struct{})
	origin := counting(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private")
		if r.Header.Get("X-Leader") == "" {
			io.WriteString(w, "follower's page")
			return
		}
		close(entered)
		<-gate
		io.WriteString(w, "leader's ")
		<-finish
		io.WriteString(w, "page")
	})
	c, joined := followed(t, 1)
	leader := make(chan string)
	go func() {
		w, _ := serve(c, blue, origin, "GET", "http://example.com/page", "X-Leader", "1")
		leader <- w.Body.String()
	}()
	<-entered
	go func() {
		joined.Wait()
		close(gate)
	}()
	w, o := serve(c, blue, origin, "GET", "http://example.com/page")
	close(finish)
	if o != Miss || w.Body.String() != "follower's page" {
		t.Errorf("follower %s answered %q, want its own page", o, w.Body)
	}
	if body := <-leader; body != "leader's page" {
		t.Errorf("leader answered %q", body)
	}
}
