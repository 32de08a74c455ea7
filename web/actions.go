package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"

	"deploy/orchestrator"
)

// defaultReason is recorded when the operator gives none.
const defaultReason = "from the status page"

// Refusals, as the result page says them.
var (
	errActionsOff = errors.New("actions are off: set token_file in controller { web { ... } }")
	errToken      = errors.New("the token is wrong or missing; nothing was changed")
)

// result is what the result page shows after a button.
type result struct {
	Service string
	// Op is "switch" or "rollback".
	Op     string
	Status int
	OK     bool
	// Message and Hint say why the operation failed or was refused.
	Message string
	Hint    string
	Res     *orchestrator.SwitchResult
}

// action is a validated request of a button.
type action struct {
	service, reason, actor string
}

func (s *Server) rollback(w http.ResponseWriter, r *http.Request) {
	a, ok := s.authorize(w, r, "rollback")
	if !ok {
		return
	}
	res, err := s.ctrl.Rollback(context.WithoutCancel(r.Context()),
		orchestrator.RollbackRequest{Service: a.service, Reason: a.reason, Actor: a.actor})
	s.finish(w, a, "rollback", res, err)
}

func (s *Server) switchTo(w http.ResponseWriter, r *http.Request) {
	a, ok := s.authorize(w, r, "switch")
	if !ok {
		return
	}
	// The normal, gated switch: the target's checks run first.
	res, err := s.ctrl.Switch(context.WithoutCancel(r.Context()),
		orchestrator.SwitchRequest{Service: a.service, To: r.PostFormValue("to"), Reason: a.reason, Actor: a.actor})
	s.finish(w, a, "switch", res, err)
}

// authorize reads the form and lets the action through when actions are on,
// the token is right and the operator typed the service's name. Otherwise
// it answers with the refusal and nothing happens.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, op string) (action, bool) {
	service := r.PathValue("service")
	refuse := func(status int, msg, hint string) (action, bool) {
		s.render(w, status, "result.html", result{Service: service, Op: op, Status: status, Message: msg, Hint: hint})
		return action{}, false
	}
	if !s.actionsOn() {
		return refuse(http.StatusForbidden, errActionsOff.Error(), "")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			return refuse(http.StatusRequestEntityTooLarge, fmt.Sprintf("the form is over %d KiB; nothing was changed", maxFormBody>>10), "")
		}
		return refuse(http.StatusBadRequest, "the form could not be read; nothing was changed", "")
	}
	sum := sha256.Sum256([]byte(r.PostFormValue("token")))
	if subtle.ConstantTimeCompare(sum[:], s.tokenSum) != 1 {
		s.log.Warn("status page: action refused: wrong or missing token", "op", op, "service", service, "remote", r.RemoteAddr)
		return refuse(http.StatusUnauthorized, errToken.Error(), "type the token from the controller's token_file")
	}
	if r.PostFormValue("confirm") != service {
		return refuse(http.StatusBadRequest, "nothing was changed: the confirmation does not match",
			fmt.Sprintf("type the service name %q in the confirmation field", service))
	}
	reason := r.PostFormValue("reason")
	if reason == "" {
		reason = defaultReason
	}
	return action{service: service, reason: reason, actor: "web " + clientIP(r)}, true
}

// finish logs the operation's outcome and shows the result page.
func (s *Server) finish(w http.ResponseWriter, a action, op string, res *orchestrator.SwitchResult, err error) {
	if err == nil && res == nil {
		res = &orchestrator.SwitchResult{Service: a.service}
	}
	out := result{Service: a.service, Op: op, Status: http.StatusOK, OK: err == nil, Res: res}
	if err != nil {
		var e *orchestrator.Error
		if errors.As(err, &e) {
			out.Status, out.Message, out.Hint = e.HTTPStatus(), e.Message, e.Hint
		} else {
			out.Status, out.Message = http.StatusInternalServerError, err.Error()
		}
		s.log.Warn("status page: "+op+" failed", "service", a.service, "actor", a.actor, "err", err)
	} else {
		s.log.Info("status page: "+op, "service", a.service, "actor", a.actor, "from", res.From, "to", res.To)
	}
	s.render(w, out.Status, "result.html", out)
}

// clientIP is the address of the browser's end of the connection; the page
// is reached directly, not through the proxy, so no header is trusted.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
