package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// ndjson is the media type of a streamed reply: progress events, one JSON
// object a line, then the result or the error.
const ndjson = "application/x-ndjson"

// progressEvery throttles progress events: a terminal needs a few a second.
const progressEvery = 100 * time.Millisecond

// Progress is how far a long step (build, checksum, unpack) has come.
type Progress struct {
	Phase string `json:"phase"`
	Done  int64  `json:"done"`
	Total int64  `json:"total"`
}

// Step is a step of a multi-step operation (a release) starting, ending or
// saying how it goes.
type Step struct {
	Step    string    `json:"step"`
	Status  string    `json:"status"` // StepRunning, StepOK, StepFailed, StepSkipped or StepInfo
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// Step statuses.
const (
	StepRunning = "running"
	StepOK      = "ok"
	StepFailed  = "failed"
	StepSkipped = "skipped"
	StepInfo    = "info"
)

// StreamEvent is one line of a streamed reply.
type StreamEvent struct {
	Step     *Step           `json:"step,omitempty"`
	Progress *Progress       `json:"progress,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	Error    *Error          `json:"error,omitempty"`
}

type progressKey struct{}

type stepKey struct{}

// stepper returns the step reporter of the operation running under ctx;
// without a listener it only logs.
func stepper(ctx context.Context) func(step, status, format string, args ...any) {
	send, _ := ctx.Value(stepKey{}).(func(Step))
	return func(step, status, format string, args ...any) {
		if send != nil {
			send(Step{Step: step, Status: status, Message: fmt.Sprintf(format, args...), At: time.Now().UTC()})
		}
	}
}

// reporter returns the progress callback of a phase, for the operation
// running under ctx; without a listener it does nothing.
func reporter(ctx context.Context, phase string) func(done, total int64) {
	send, _ := ctx.Value(progressKey{}).(func(Progress))
	if send == nil {
		return func(int64, int64) {}
	}
	var last time.Time
	return func(done, total int64) {
		if now := time.Now(); done >= total || now.Sub(last) >= progressEvery {
			last = now
			send(Progress{Phase: phase, Done: done, Total: total})
		}
	}
}

// streamReply runs op and streams its progress and its result as NDJSON.
// The status is 200 once streaming began; errors travel in the last line.
func (a *API) streamReply(w http.ResponseWriter, ctx context.Context, op func(context.Context) (any, error)) {
	w.Header().Set("Content-Type", ndjson)
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	var mu sync.Mutex
	emit := func(ev StreamEvent) {
		b, err := json.Marshal(ev)
		if err != nil {
			a.log.Error("encode stream event", "err", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		w.Write(append(b, '\n'))
		if flusher != nil {
			flusher.Flush()
		}
	}
	ctx = context.WithValue(ctx, progressKey{}, func(p Progress) { emit(StreamEvent{Progress: &p}) })
	ctx = context.WithValue(ctx, stepKey{}, func(s Step) { emit(StreamEvent{Step: &s}) })
	res, err := op(ctx)
	if err != nil {
		emit(StreamEvent{Error: asError(err)})
		return
	}
	b, err := json.Marshal(res)
	if err != nil {
		emit(StreamEvent{Error: asError(err)})
		return
	}
	emit(StreamEvent{Result: b})
}
