package checks

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"deploy/config"
)

// defaultStatus is what an HTTP check accepts when it lists no statuses.
var defaultStatus = []config.StatusRange{{Lo: 200, Hi: 399}}

// newClient returns a client that connects to addr whatever the URL's host
// is, so that a check can send the site's real Host header to one chosen
// instance (or to the proxy) without DNS. It never follows redirects (a
// check judges the answer the instance gave, and following one could leave
// the slot), ignores proxy settings from the environment (the controller's
// HTTP_PROXY must not sit between it and a loopback instance) and asks for no
// compression, so headers and body are judged as the server sent them.
// keepAlive is off for checks, so that every attempt makes a fresh
// connection, and on for warm-up, which measures answers, not connects.
//
// With useTLS the certificate is not verified: the controller reaches its
// own proxy to judge the route and the slot behind it, and an expired or
// mismatched certificate is reported per host by status. A host with no
// certificate at all fails its handshake, and the check with it: its
// visitors cannot reach the slot either.
func newClient(addr string, keepAlive, useTLS bool) *http.Client {
	var d net.Dialer // bounded by the request's context
	var tlsConfig *tls.Config
	if useTLS {
		tlsConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // see above
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:           nil,
			TLSClientConfig: tlsConfig,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
			DisableKeepAlives:      !keepAlive,
			DisableCompression:     true,
			MaxResponseHeaderBytes: maxBody,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// checkHTTP sends the check's request through client and judges the answer.
func checkHTTP(ctx context.Context, client *http.Client, h *config.HTTPCheck, t Target) outcome {
	method := h.Method
	if method == "" {
		method = http.MethodGet
	}
	path := h.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	host := t.Host
	if host == "" {
		host = h.Host
	}
	if host == "" {
		host = "localhost"
	}
	scheme := "http://"
	if t.TLS {
		scheme = "https://"
	}
	req, err := http.NewRequestWithContext(ctx, method, scheme+host+path, nil)
	if err != nil {
		return outcome{msg: fmt.Sprintf("cannot build the request for host %q, path %q: %v", host, path, err)}
	}
	for k, vs := range t.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Host = host

	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return outcome{msg: netMessage(t.Addr, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	took := time.Since(start)
	o := outcome{status: resp.StatusCode}
	if err != nil {
		o.msg = fmt.Sprintf("status %d, body cut off: %s", resp.StatusCode, netMessage(t.Addr, err))
		return o
	}
	if o.msg = judge(h, resp, body, took); o.msg == "" {
		o.ok = true
		o.msg = fmt.Sprintf("ok: status %d", resp.StatusCode)
	}
	return o
}

// judge returns what is wrong with an answer, or "" when it passes. It names
// the first rule broken, in a fixed order (status, body, headers, latency),
// because the first is usually the cause of the others.
func judge(h *config.HTTPCheck, resp *http.Response, body []byte, took time.Duration) string {
	ranges := h.Status
	if len(ranges) == 0 {
		ranges = defaultStatus
	}
	if !config.Accepts(ranges, resp.StatusCode) {
		return fmt.Sprintf("status %d, want %s", resp.StatusCode, describeRanges(ranges))
	}
	within := ""
	if len(body) == maxBody {
		within = " (in its first 1 MiB)"
	}
	if h.BodyContains != "" && !strings.Contains(string(body), h.BodyContains) {
		return fmt.Sprintf("body does not contain %q%s", h.BodyContains, within)
	}
	if h.BodyRegex != nil && !h.BodyRegex.Match(body) {
		return fmt.Sprintf("body does not match %s%s", h.BodyRegex, within)
	}
	for _, name := range slices.Sorted(maps.Keys(h.Headers)) {
		re := h.Headers[name]
		values := resp.Header.Values(name)
		if len(values) == 0 {
			return fmt.Sprintf("header %s is missing, want match of %s", name, re)
		}
		// Several fields of one name mean the same as one comma-joined field.
		if v := strings.Join(values, ", "); !re.MatchString(v) {
			return fmt.Sprintf("header %s is %q, want match of %s", name, v, re)
		}
	}
	if h.MaxLatency > 0 && took > h.MaxLatency {
		return fmt.Sprintf("took %s, limit %s", roundDur(took), h.MaxLatency)
	}
	return ""
}

// describeRanges writes accepted statuses the way a config author would:
// "200-399" or "200, 301".
func describeRanges(ranges []config.StatusRange) string {
	parts := make([]string, len(ranges))
	for i, r := range ranges {
		if r.Lo == r.Hi {
			parts[i] = fmt.Sprint(r.Lo)
		} else {
			parts[i] = fmt.Sprintf("%d-%d", r.Lo, r.Hi)
		}
	}
	return strings.Join(parts, ", ")
}
