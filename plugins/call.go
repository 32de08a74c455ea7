package plugins

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
)

// deadlineSkew is how long a call the plugin's side ended as cancelled may
// wait for the host's own deadline to catch up.
const deadlineSkew = 100 * time.Millisecond

// refusal is an answer that broke the rules in validate.go: the plugin ran,
// but what it said is not passed on.
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }

// requestError is a request the host could not put on the wire (settings
// of a type no plugin can receive): the caller's mistake, not the plugin's.
type requestError struct{ err error }

func (r requestError) Error() string { return r.err.Error() }

// call runs one call to the plugin, launching it if needed, within the
// plugin's timeout, and turns whatever went wrong into a sentence that
// names the plugin. fn does the RPC and checks the answer.
func (m *managed) call(ctx context.Context, kind, method string, fn func(ctx context.Context, r *remote) error) error {
	if spec := m.currentSpec(); spec.Kind != kind {
		err := fmt.Errorf("%s is configured as a %s plugin, not a %s", spec.label(), spec.Kind, kind)
		m.note(err)
		return err
	} else if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %s: %w", spec.label(), method, err)
	}
	inst, spec, err := m.get()
	if err != nil {
		m.note(err)
		return err
	}
	timeout := spec.timeout()
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = fn(callCtx, inst.remote)
	if err == nil {
		m.note(nil)
		return nil
	}
	err = m.explain(ctx, callCtx, spec, inst, method, err)
	if ctx.Err() == nil { // a caller giving up says nothing about the plugin
		m.note(err)
	}
	return err
}

// explain decides what a failed call means: the caller gave up, the plugin
// hung, crashed, lost its connection, broke the rules, or simply reported
// an error. Hung and broken plugins are stopped here so that the next call
// starts a fresh process.
func (m *managed) explain(ctx, callCtx context.Context, spec Spec, inst *instance, method string, err error) error {
	label := spec.label()
	var ref refusal
	if errors.As(err, &ref) {
		m.host.log.Warn("plugin answer refused", "plugin", spec.Name, "kind", spec.Kind, "call", method, "error", ref.err.Error())
		return fmt.Errorf("%s: %s answer refused: %w", label, method, ref.err)
	}
	var req requestError
	if errors.As(err, &req) {
		return fmt.Errorf("%s: %s: cannot send the request: %w", label, method, req.err)
	}
	if c := status.Code(err); c == codes.Canceled || c == codes.DeadlineExceeded {
		// The plugin's side of the deadline (sent truncated in the
		// grpc-timeout header, kept by another timer) can end the stream a
		// moment before ours fires; the caller giving up and a hang must
		// still read as what they are.
		select {
		case <-callCtx.Done():
		case <-time.After(deadlineSkew):
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %s: %w", label, method, ctx.Err())
	}
	if errors.Is(callCtx.Err(), context.DeadlineExceeded) {
		m.host.log.Warn("plugin did not answer; stopping it", "plugin", spec.Name, "kind", spec.Kind, "call", method, "pid", inst.pid, "timeout", spec.timeout().String())
		m.retire(inst, true)
		return fmt.Errorf("%s: %s did not answer within %s; it was stopped and starts again on next use", label, method, spec.timeout())
	}
	st := status.Convert(err)
	if st.Code() == codes.Unavailable || st.Code() == codes.Canceled || inst.exitedNow() {
		if inst.waitExit(exitWait) {
			report := inst.exitReport()
			m.host.log.Warn("plugin exited during a call", "plugin", spec.Name, "kind", spec.Kind, "call", method, "pid", inst.pid, "exit", report)
			m.retire(inst, false)
			return fmt.Errorf("%s exited during %s: %s; it starts again on next use", label, method, report)
		}
		if st.Code() != codes.Unknown && inst.remote.conn.GetState() != connectivity.Ready {
			m.host.log.Warn("plugin connection lost; stopping it", "plugin", spec.Name, "kind", spec.Kind, "call", method, "pid", inst.pid)
			m.retire(inst, true)
			return fmt.Errorf("%s: lost the connection during %s (%s); it was stopped and starts again on next use", label, method, printable(st.Message()))
		}
	}
	msg := st.Message()
	if bad := checkText("its error message", msg); bad != nil {
		return fmt.Errorf("%s: %s failed, but %v, so it is not shown", label, method, bad)
	}
	switch st.Code() {
	case codes.ResourceExhausted:
		if strings.Contains(msg, "larger than max") {
			return fmt.Errorf("%s: %s answer refused: it is larger than %d MiB", label, method, maxAnswerBytes>>20)
		}
	case codes.Internal:
		if strings.Contains(msg, "invalid UTF-8") {
			return fmt.Errorf("%s: %s answer refused: it holds text that is not valid UTF-8", label, method)
		}
	case codes.Unimplemented:
		return fmt.Errorf("%s: %s does not serve %s; is it a %s plugin? (%s)", label, spec.Path, method, spec.Kind, msg)
	}
	return fmt.Errorf("%s: %s failed: %s", label, method, msg)
}

// printable cuts a message that gRPC made from the plugin's bytes down to
// something safe to put in an error.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > 512 {
		s = strings.ToValidUTF8(s[:512], "") + "…"
	}
	return s
}
