package orchestrator

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// NewTokenHandler guards h, the control API served on a TCP port, with a
// bearer token. A TCP peer has no OS user to check as the control socket's
// has, so the token stands in for it, and history names the caller
// "api <remote IP>". An empty token lets nobody in.
func NewTokenHandler(h http.Handler, token string) http.Handler {
	// Comparing digests keeps the comparison constant-time whatever the
	// length of what the caller sent: subtle.ConstantTimeCompare alone
	// answers at once on a length mismatch, telling the token's length.
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearer(r)
		sum := sha256.Sum256([]byte(got))
		if !ok || token == "" || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			unauthorized(w)
			return
		}
		ip := r.RemoteAddr
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			ip = host
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, "api "+ip)))
	})
}

// bearer reads "Authorization: Bearer TOKEN"; the scheme's case does not
// matter (RFC 7235).
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return tok, true
}

// unauthorized answers in the API's error shape, so that the CLI prints it
// like any other refusal. The connection is closed: a caller without the
// token has no use for keeping it.
func unauthorized(w http.ResponseWriter) {
	e := errorf(KindUnauthorized, "give the token of the controller's api block: deploy --api URL --api-token-file FILE",
		"the control API refused the request: missing or wrong token")
	b, _ := json.Marshal(e)
	w.Header().Set("WWW-Authenticate", `Bearer realm="deploy"`)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusUnauthorized)
	w.Write(append(b, '\n'))
}

// NewTCPClient returns a client of the control API served on a TCP port at
// baseURL ("http://host:port"), sending token with every request.
func NewTCPClient(baseURL, token string) (*Client, error) {
	base, err := url.Parse(baseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.User != nil ||
		strings.Trim(base.Path, "/") != "" || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("control API URL %q: give the scheme, host and port only, such as http://127.0.0.1:9902", baseURL)
	}
	if token == "" {
		return nil, errors.New("the control API needs its token; the controller refuses callers without it")
	}
	// The client's requests name the socket's placeholder host; this
	// transport sends them to the API's address instead.
	tr := &tokenTransport{base: base, token: token, next: http.DefaultTransport.(*http.Transport).Clone()}
	return &Client{socket: base.Scheme + "://" + base.Host, http: &http.Client{Transport: tr}}, nil
}

// tokenTransport sends each request to the control API's address with the
// token.
type tokenTransport struct {
	base  *url.URL
	token string
	next  http.RoundTripper
}

func (t *tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	// A RoundTripper must not change the request it was given.
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.base.Scheme, t.base.Host, ""
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(r)
}
