package checks

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"deploy/config"
)

func TestRun_RetriesUntilTheCheckPasses(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	c := httpCheck(config.HTTPCheck{})
	c.Retries = 5
	r := Run(context.Background(), c, testTarget(addr))
	wantOK(t, r)
	if r.Attempts != 3 || calls.Load() != 3 {
		t.Errorf("Attempts = %d, requests = %d; want 3 and 3", r.Attempts, calls.Load())
	}
}

func TestRun_GivesUpAfterAllRetriesWithTheLastResult(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	})
	c := httpCheck(config.HTTPCheck{})
	c.Retries = 3
	r := Run(context.Background(), c, testTarget(addr))
	wantFailure(t, r, "status 500, want 200-399")
	if r.Attempts != 4 || calls.Load() != 4 || r.Status != 500 {
		t.Errorf("Attempts = %d, requests = %d, Status = %d; want 4, 4, 500", r.Attempts, calls.Load(), r.Status)
	}
}

func TestRun_AnAttemptThatRunsPastTheTimeoutTimesOut(t *testing.T) {
	t.Parallel()
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	c := httpCheck(config.HTTPCheck{})
	c.Timeout = 100 * time.Millisecond
	c.Retries = 1
	r := Run(context.Background(), c, testTarget(addr))
	wantFailure(t, r, "timed out after 100ms")
	if r.Attempts != 2 {
		t.Errorf("Attempts = %d, want 2", r.Attempts)
	}
}

func TestRun_StopsRetryingWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int32
	addr := testBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 2 {
			cancel()
		}
		w.WriteHeader(http.StatusInternalServerError)
	})
	c := httpCheck(config.HTTPCheck{})
	c.Retries = 100
	c.Interval = 20 * time.Millisecond
	r := Run(ctx, c, testTarget(addr))
	if r.OK || r.Attempts != 2 || calls.Load() != 2 {
		t.Fatalf("got %+v after %d requests; want a failure after 2 attempts", r, calls.Load())
	}
	// The second attempt either saw its 500 or was cut off by the cancel.
	if r.Message != "status 500, want 200-399" && r.Message != "stopped: context canceled" {
		t.Errorf("message = %q", r.Message)
	}
}

func TestRun_AContextEndedDuringThePauseStopsAtOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	addr := closedAddr(t)
	c := config.Check{Name: "port", TCP: true, Retries: 3, Interval: time.Hour}
	time.AfterFunc(50*time.Millisecond, cancel)
	r := Run(ctx, c, testTarget(addr))
	if r.OK || r.Attempts != 1 || !strings.Contains(r.Message, "connection refused") {
		t.Errorf("got %+v, want the first attempt's refusal", r)
	}
}

func TestRun_ACheckWithNothingToRunFails(t *testing.T) {
	t.Parallel()
	r := Run(context.Background(), config.Check{Name: "empty"}, testTarget("127.0.0.1:1"))
	if r.OK || r.Check != "empty" || !strings.HasPrefix(r.Message, "nothing to run") {
		t.Errorf("got %+v", r)
	}
}
