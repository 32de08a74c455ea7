package proxy

import (
	"context"
	"errors"
	"net/http"
)

// pageText is what a visitor reads when the proxy answers by itself. It names
// nothing internal: no slot, port or address.
var pageText = map[int]string{
	http.StatusNotFound:           "No site is configured for this host name.\n",
	http.StatusServiceUnavailable: "This site is not being served right now. Please try again shortly.\n",
	http.StatusBadGateway:         "The site could not answer this request. Please try again.\n",
}

func writePage(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(pageText[status]))
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
		writePage(w, http.StatusBadGateway)
	}
}
