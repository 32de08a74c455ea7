package checks

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"deploy/config"
)

// latencyBackend answers after delay(n), n counting its requests from 1.
func latencyBackend(t *testing.T, delay func(n int64) time.Duration) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "www.example.org" {
			http.Error(w, "wrong host "+r.Host, http.StatusBadRequest)
			return
		}
		time.Sleep(delay(n.Add(1)))
	})
	return addr, &n
}

func TestWarmUp_StopsOnceTheNewSlotIsAsFastAsTheLiveOne(t *testing.T) {
	t.Parallel()
	const slowRequests = 8 // 4 rounds of 2 URLs
	newAddr, _ := latencyBackend(t, func(n int64) time.Duration {
		if n <= slowRequests {
			return 40 * time.Millisecond // cold
		}
		return 0
	})
	liveAddr, _ := latencyBackend(t, func(int64) time.Duration { return 5 * time.Millisecond })
	w := config.WarmUp{URLs: []string{"/", "/news"}, Rounds: 3, MaxLatencyRatio: 1.5, Timeout: 20 * time.Second}
	var seen []WarmUpResult
	res, err := WarmUp(context.Background(), w, "www.example.org", []string{newAddr}, []string{liveAddr},
		func(r WarmUpResult) { seen = append(seen, r) })
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Rounds < 5 || res.Ratio > 1.5 || res.LiveP50MS == 0 {
		t.Fatalf("got %+v, want OK after the 4 cold rounds", res)
	}
	if len(seen) != res.Rounds || seen[len(seen)-1] != res {
		t.Errorf("progress saw %d rounds, last %+v; want %d ending with the result", len(seen), seen[len(seen)-1], res.Rounds)
	}
	if first := seen[0]; first.OK || first.Ratio < 1.5 {
		t.Errorf("first round = %+v, want a cold ratio well above 1.5", first)
	}
	if !strings.HasPrefix(res.Message, "warm after ") || strings.Contains(res.Message, "2xx") {
		t.Errorf("message = %q", res.Message)
	}
}

func TestWarmUp_GivesUpWhenTheNewSlotStaysSlow(t *testing.T) {
	t.Parallel()
	newAddr, _ := latencyBackend(t, func(int64) time.Duration { return 20 * time.Millisecond })
	liveAddr, _ := latencyBackend(t, func(int64) time.Duration { return time.Millisecond })
	w := config.WarmUp{URLs: []string{"/"}, Rounds: 2, MaxLatencyRatio: 1.5, Timeout: time.Second}
	res, err := WarmUp(context.Background(), w, "www.example.org", []string{newAddr}, []string{liveAddr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Rounds < 2 || res.Ratio < 3 {
		t.Fatalf("got %+v, want a failure with a ratio far above 1.5", res)
	}
	if !strings.HasPrefix(res.Message, "not warm after 1s (") || !strings.Contains(res.Message, "ratio ") {
		t.Errorf("message = %q, want it to give up and name the ratio", res.Message)
	}
}

func TestWarmUp_WithoutALiveSlotDoesTheRounds(t *testing.T) {
	t.Parallel()
	a, na := latencyBackend(t, func(int64) time.Duration { return 0 })
	b, nb := latencyBackend(t, func(int64) time.Duration { return 0 })
	w := config.WarmUp{URLs: []string{"/", "/a", "/b"}, Rounds: 4, MaxLatencyRatio: 1.5, Timeout: 10 * time.Second}
	res, err := WarmUp(context.Background(), w, "www.example.org", []string{a, b}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Rounds != 4 || res.LiveP50MS != 0 || res.Ratio != 0 {
		t.Fatalf("got %+v, want OK after exactly 4 rounds", res)
	}
	if na.Load() != 12 || nb.Load() != 12 {
		t.Errorf("requests = %d and %d, want 12 each (4 rounds of 3 URLs)", na.Load(), nb.Load())
	}
	if strings.Contains(res.Message, "2xx") {
		t.Errorf("message = %q mentions errors; the Host header was probably not sent", res.Message)
	}
}

func TestWarmUp_CountsBadAnswersWithoutStopping(t *testing.T) {
	t.Parallel()
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	w := config.WarmUp{URLs: []string{"/", "/broken"}, Rounds: 3, MaxLatencyRatio: 1.5, Timeout: 10 * time.Second}
	res, err := WarmUp(context.Background(), w, "www.example.org", []string{addr}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Rounds != 3 || !strings.HasSuffix(res.Message, "; new slot: 3 answers not 2xx/3xx") {
		t.Errorf("got %+v", res)
	}
}

func TestWarmUp_ARefusingInstanceIsReportedAtTheTimeout(t *testing.T) {
	t.Parallel()
	addr := closedAddr(t)
	w := config.WarmUp{URLs: []string{"/"}, Rounds: 1, MaxLatencyRatio: 1.5, Timeout: 300 * time.Millisecond}
	res, err := WarmUp(context.Background(), w, "www.example.org", []string{addr}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || !strings.Contains(res.Message, "new slot gave no answer") ||
		!strings.Contains(res.Message, "connect "+addr+": connection refused") {
		t.Errorf("got %+v", res)
	}
}

func TestWarmUp_ReturnsTheContextErrorWhenCanceled(t *testing.T) {
	t.Parallel()
	addr, _ := latencyBackend(t, func(int64) time.Duration { return 20 * time.Millisecond })
	live, _ := latencyBackend(t, func(int64) time.Duration { return 0 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := config.WarmUp{URLs: []string{"/"}, Rounds: 1, MaxLatencyRatio: 1.5, Timeout: time.Minute}
	res, err := WarmUp(ctx, w, "www.example.org", []string{addr}, []string{live}, func(WarmUpResult) { cancel() })
	if !errors.Is(err, context.Canceled) || res.OK || res.Rounds != 1 {
		t.Errorf("got %+v, %v; want context.Canceled after one round", res, err)
	}
}
