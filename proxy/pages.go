package proxy

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

// pageText is what a visitor reads when the proxy answers by itself. It names
// nothing internal: no slot, port or address.
var pageText = map[int]string{
	http.StatusBadRequest:         "The address of this request cannot be served.\n",
	http.StatusNotFound:           "No site is configured for this host name.\n",
	http.StatusServiceUnavailable: "This site is not being served right now. Please try again shortly.\n",
	http.StatusBadGateway:         "The site could not answer this request. Please try again.\n",
}

// reply is an answer the proxy gives by itself, built once so that answering
// many requests with it (a site in maintenance) costs no formatting.
type reply struct {
	status      int
	body        []byte
	contentType string
	retryAfter  string // whole seconds; empty for none
	// reason is what the metrics count this answer under when the proxy
	// gives it without a pool to send the request to.
	reason replyReason
}

// Built-in replies.
var (
	badRequestReply  = builtinReply(http.StatusBadRequest, "")
	notFoundReply    = builtinReply(http.StatusNotFound, "").because(replyNoService)
	unavailableReply = builtinReply(http.StatusServiceUnavailable, "").because(replyNoLiveSlot)
	badGatewayReply  = builtinReply(http.StatusBadGateway, "")
	// pausedTooLongReply answers a request held longer than its pause
	// allows; pauses are short, so asking again soon is the best advice.
	pausedTooLongReply = builtinReply(http.StatusServiceUnavailable, "1").because(replyPausedTooLong)
	healthReply        = &reply{status: http.StatusOK, body: []byte("ok\n"), contentType: "text/plain; charset=utf-8", reason: replyHealth}
)

func builtinReply(status int, retryAfter string) *reply {
	return &reply{status: status, body: []byte(pageText[status]), contentType: "text/plain; charset=utf-8", retryAfter: retryAfter}
}

// because sets the reason of a reply being built.
func (rp *reply) because(r replyReason) *reply {
	rp.reason = r
	return rp
}

func (rp *reply) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", rp.contentType)
	h.Set("Content-Length", strconv.Itoa(len(rp.body)))
	h.Set("Cache-Control", "no-store")
	if rp.retryAfter != "" {
		h.Set("Retry-After", rp.retryAfter)
	}
	w.WriteHeader(rp.status)
	_, _ = w.Write(rp.body)
}

// backendError answers a request that its instance could not serve.
func (p *Proxy) backendError(pl *pool) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			// The client went away; nobody is left to answer.
			return
		}
		p.log.Warn("backend request failed", "service", pl.service, "slot", pl.slot,
			"method", r.Method, "path", r.URL.Path, "err", err)
		badGatewayReply.write(w)
	}
}
