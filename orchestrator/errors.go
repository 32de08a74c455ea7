package orchestrator

import (
	"errors"
	"fmt"
	"net/http"

	"deploy/checks"
)

// Kind classifies an operation's failure so that the CLI can choose its exit
// code and the API its status.
type Kind string

// Kinds of failure.
const (
	// KindInvalid: the request itself is wrong (unknown slot, bad field).
	KindInvalid Kind = "invalid"
	// KindNotFound: no such service.
	KindNotFound Kind = "not_found"
	// KindBusy: another operation on the service is running.
	KindBusy Kind = "busy"
	// KindRefused: the operation would break the site and was not done.
	KindRefused Kind = "refused"
	// KindFailed: the operation was tried and did not succeed.
	KindFailed Kind = "failed"
	// KindChecksFailed: the target slot failed its checks; nothing was
	// switched.
	KindChecksFailed Kind = "checks_failed"
	// KindRolledBack: a release switched, then rolled itself back.
	KindRolledBack Kind = "rolled_back"
	// KindUnauthorized: the caller of the control API over TCP did not
	// bring its token.
	KindUnauthorized Kind = "unauthorized"
)

// Error is an operation's failure as the user reads it: one sentence saying
// what happened, and a hint saying what to do next.
type Error struct {
	Kind    Kind   `json:"kind"`
	Message string `json:"error"`
	Hint    string `json:"hint,omitempty"`
	// Checks are the check results behind a KindChecksFailed or
	// KindRolledBack failure.
	Checks []checks.Result `json:"checks,omitempty"`
}

func (e *Error) Error() string {
	if e.Hint == "" {
		return e.Message
	}
	return e.Message + "; " + e.Hint
}

// HTTPStatus is the control API status for the error's kind.
func (e *Error) HTTPStatus() int {
	switch e.Kind {
	case KindInvalid:
		return http.StatusBadRequest
	case KindNotFound:
		return http.StatusNotFound
	case KindBusy, KindRefused, KindChecksFailed:
		return http.StatusConflict
	case KindUnauthorized:
		return http.StatusUnauthorized
	default:
		return http.StatusInternalServerError
	}
}

func errorf(kind Kind, hint, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// asError turns any error into an *Error, keeping one that already is;
// no error stays nil.
func asError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindFailed, Message: err.Error()}
}
