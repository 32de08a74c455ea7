package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"deploy/config"
)

// warmUpErrorPause keeps a warm-up from spinning against an instance that
// refuses connections at once.
const warmUpErrorPause = 100 * time.Millisecond

// WarmUpResult is where a warm-up got to; progress reports and the final
// answer have the same shape.
type WarmUpResult struct {
	Rounds    int     `json:"rounds"`
	NewP50MS  float64 `json:"new_p50_ms"`
	LiveP50MS float64 `json:"live_p50_ms,omitempty"` // 0 when there is no live slot
	Ratio     float64 `json:"ratio,omitempty"`
	OK        bool    `json:"ok"` // reached the ratio (or did the rounds when there is no live slot)
	Message   string  `json:"message"`
}

// WarmUp requests every URL of w (GET, Host header host) against every new
// instance, round after round, because a freshly started Zope has cold
// caches and would make the first visitors after a switch wait. Each round
// also measures the live instances (when liveAddrs is non-empty) with the
// same URLs, so that "warm" means "about as fast as what visitors get now"
// rather than a fixed number that is wrong for every site but one.
//
// After at least w.Rounds rounds it stops as soon as the new slot's p50
// latency of the last round is <= w.MaxLatencyRatio * the live slot's p50 of
// the same round; without a live slot it stops after w.Rounds rounds. It
// gives up at w.Timeout with OK false and a message that gives the last
// ratio. Answers outside 2xx/3xx do not stop it but are counted and
// mentioned in the message. progress (may be nil) is called after each
// round. When ctx ends first, WarmUp returns ctx.Err().
func WarmUp(ctx context.Context, w config.WarmUp, host string, newAddrs, liveAddrs []string, progress func(WarmUpResult)) (WarmUpResult, error) {
	if len(newAddrs) == 0 {
		return WarmUpResult{Message: "no new instances to warm up"}, errors.New("warm-up: no new instances given")
	}
	minRounds := w.Rounds
	if minRounds <= 0 {
		minRounds = defaultWarmUpRounds
	}
	ratio := w.MaxLatencyRatio
	if ratio <= 0 {
		ratio = defaultWarmUpRatio
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = defaultWarmUpTimeout
	}
	urls := w.URLs
	if len(urls) == 0 {
		urls = []string{"/"}
	}
	if host == "" {
		host = "localhost"
	}
	newSlot, liveSlot := warmClients(newAddrs), warmClients(liveAddrs)
	defer closeIdle(newSlot)
	defer closeIdle(liveSlot)

	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var res WarmUpResult
	var newSeen, liveSeen round // every round's errors, for the message
	var state string            // what the last whole round saw
	for {
		nr := measure(wctx, newSlot, host, urls)
		lr := measure(wctx, liveSlot, host, urls)
		if err := ctx.Err(); err != nil {
			res.OK = false
			res.Message = "warm-up stopped: " + context.Cause(ctx).Error()
			return res, err
		}
		if wctx.Err() != nil {
			// The round was cut short, so its numbers compare nothing; the
			// last whole round says how far the warm-up got.
			res.OK = false
			res.Message = giveUpMessage(res.Rounds, minRounds, timeout, state) + errorNote(newSeen, liveSeen)
			return res, nil
		}
		res.Rounds++
		newSeen.add(nr)
		liveSeen.add(lr)
		newP50, newOK := nr.p50()
		liveP50, liveOK := lr.p50()
		res.NewP50MS, res.LiveP50MS, res.Ratio = ms(newP50), ms(liveP50), 0
		if newOK && liveOK && liveP50 > 0 {
			res.Ratio = math.Round(float64(newP50)/float64(liveP50)*1000) / 1000 // enough for a report
		}
		switch {
		case res.Rounds < minRounds || !newOK:
			res.OK = false
		case len(liveSlot) == 0:
			res.OK = true
		default:
			res.OK = liveOK && float64(newP50) <= ratio*float64(liveP50)
		}
		state = describeRound(res, ratio, len(liveSlot) > 0, newOK, liveOK)
		if res.OK {
			res.Message = fmt.Sprintf("warm after %d rounds: %s", res.Rounds, state)
		} else {
			res.Message = fmt.Sprintf("round %d: %s", res.Rounds, state)
		}
		res.Message += errorNote(newSeen, liveSeen)
		if progress != nil {
			progress(res)
		}
		if res.OK {
			return res, nil
		}
		if nr.failed+lr.failed > 0 {
			pause(wctx, warmUpErrorPause) // the next measure notices wctx ending
		}
	}
}

// warmClient is one instance's connection, kept alive across rounds: a
// warm-up measures how fast answers come, not how fast connects are.
type warmClient struct {
	addr   string
	client *http.Client
}

func warmClients(addrs []string) []warmClient {
	cs := make([]warmClient, len(addrs))
	for i, a := range addrs {
		cs[i] = warmClient{addr: a, client: newClient(a, true, false)}
	}
	return cs
}

func closeIdle(cs []warmClient) {
	for _, c := range cs {
		c.client.CloseIdleConnections()
	}
}

// round is what one pass over every URL of one slot's instances saw.
type round struct {
	lat     []time.Duration // one per answer, whatever its status
	bad     int             // answers outside 200-399
	failed  int             // requests that got no answer
	lastErr string          // why the last of those failed
}

// add counts r's errors into a running total.
func (t *round) add(r round) {
	t.bad += r.bad
	t.failed += r.failed
	if r.lastErr != "" {
		t.lastErr = r.lastErr
	}
}

// p50 is the median latency of the round (the lower one of an even count),
// and false when nothing answered.
func (r round) p50() (time.Duration, bool) {
	if len(r.lat) == 0 {
		return 0, false
	}
	s := slices.Sorted(slices.Values(r.lat))
	return s[(len(s)-1)/2], true
}

// measure requests every URL from every instance once, one after another so
// that requests do not slow each other down and bias the comparison.
func measure(ctx context.Context, cs []warmClient, host string, urls []string) round {
	var r round
	for _, c := range cs {
		for _, u := range urls {
			if ctx.Err() != nil {
				return r
			}
			took, status, err := fetch(ctx, c.client, host, u)
			if err != nil {
				r.failed++
				r.lastErr = netMessage(c.addr, err)
				continue
			}
			r.lat = append(r.lat, took)
			if !config.Accepts(defaultStatus, status) {
				r.bad++
			}
		}
	}
	return r
}

// fetch GETs path and reads the answer, returning the time to its last byte
// (at most maxBody bytes are read).
func fetch(ctx context.Context, c *http.Client, host, path string) (time.Duration, int, error) {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+path, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Host = host
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	_ = resp.Body.Close()
	return time.Since(start), resp.StatusCode, err
}

// describeRound says where the last whole round got: "new p50 20.0ms, live
// p50 1.0ms, ratio 20.00 (want <= 1.5)".
func describeRound(res WarmUpResult, ratio float64, haveLive, newOK, liveOK bool) string {
	s := "new slot gave no answer"
	if newOK {
		s = "new p50 " + fmtMS(res.NewP50MS)
	}
	switch {
	case !haveLive:
		return s + " (no live slot to compare with)"
	case !liveOK:
		return s + ", live slot gave no answer"
	case !newOK:
		return s
	}
	return fmt.Sprintf("%s, live p50 %s, ratio %.2f (want <= %g)", s, fmtMS(res.LiveP50MS), res.Ratio, ratio)
}

// giveUpMessage explains a warm-up that ran out of time; state describes
// its last whole round.
func giveUpMessage(rounds, minRounds int, timeout time.Duration, state string) string {
	switch {
	case rounds == 0:
		return fmt.Sprintf("not warm after %s: no round finished", timeout)
	case rounds < minRounds:
		return fmt.Sprintf("not warm after %s (%d of at least %d rounds): %s", timeout, rounds, minRounds, state)
	}
	return fmt.Sprintf("not warm after %s (%d rounds): %s", timeout, rounds, state)
}

// errorNote mentions answers outside 2xx/3xx and failed requests, which
// do not stop a warm-up but may explain why it is slow or suspiciously fast.
func errorNote(newSeen, liveSeen round) string {
	var note string
	for _, s := range []struct {
		name string
		r    round
	}{{"new slot", newSeen}, {"live slot", liveSeen}} {
		var parts []string
		if s.r.bad > 0 {
			parts = append(parts, plural(s.r.bad, "answer")+" not 2xx/3xx")
		}
		if s.r.failed > 0 {
			parts = append(parts, fmt.Sprintf("%s failed (last: %s)", plural(s.r.failed, "request"), s.r.lastErr))
		}
		if len(parts) > 0 {
			note += "; " + s.name + ": " + strings.Join(parts, ", ")
		}
	}
	return note
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
