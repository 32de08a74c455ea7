package proxy

import (
	"net/http"
	"strconv"
)

// redirector sends plain-HTTP visitors of hosts that have TLS to HTTPS. The
// proxy's health path stays answered over plain HTTP, because load
// balancers probe it there; hosts without TLS are served as they are.
type redirector struct {
	p      *Proxy
	hasTLS func(host string) bool
	port   int
	next   http.Handler
}

func (rd *redirector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := normalizeHost(r.Host)
	if rd.p.isHealthCheck(r) || !rd.hasTLS(host) {
		rd.next.ServeHTTP(w, r)
		return
	}
	target := "https://" + host
	if rd.port != 0 && rd.port != 443 {
		target += ":" + strconv.Itoa(rd.port)
	}
	target += r.URL.RequestURI()
	h := w.Header()
	h.Set("Location", target)
	h.Set("Content-Length", "0")
	// 308 rather than 301: a POST stays a POST with its body.
	w.WriteHeader(http.StatusPermanentRedirect)
}

// withHSTS adds the Strict-Transport-Security header to every response,
// the proxy's own answers included. It is set before the application's
// headers are copied, so when the application sends its own, the proxy's
// comes first, and browsers honour the first.
func withHSTS(value string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", value)
		next.ServeHTTP(w, r)
	})
}
