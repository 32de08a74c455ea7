package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"deploy/plugins"
)

// Limits of one probe.
const (
	requestTimeout = 10 * time.Second
	maxBody        = 1 << 20 // bytes of the page searched for the expected text
)

// verdict is what one target's probe found.
type verdict struct {
	ok  bool
	msg string // "ok: ..." or what is wrong
}

// newClient returns the client a check uses for all its targets. It never
// follows redirects: Zope answering the management page with a redirect
// (to a login form, or to another host) means the page did not render
// here. It ignores proxy settings from the environment, which must not sit
// between deploy and a loopback instance, and keeps no connections open
// after the check.
func newClient() *http.Client {
	return &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			Proxy:             nil,
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// probe logs into one target's management page and judges the answer.
func probe(ctx context.Context, client *http.Client, s settings, t plugins.CheckTarget) verdict {
	if t.Addr == "" {
		return verdict{msg: "no address to check"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+t.Addr+s.path, nil)
	if err != nil {
		return verdict{msg: fmt.Sprintf("cannot build a request for path %q: %v", s.path, err)}
	}
	req.SetBasicAuth(s.user, s.password)
	req.Header.Set("User-Agent", "deploy-plugin-check-zmi")
	if s.host != "" {
		req.Host = s.host
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return verdict{msg: netMessage(t.Addr, err, time.Since(start))}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return verdict{msg: fmt.Sprintf("login refused for user %q (status 401)", s.user)}
	case resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "":
		return verdict{msg: fmt.Sprintf("status %d (redirect to %s), want 200", resp.StatusCode, resp.Header.Get("Location"))}
	case resp.StatusCode != http.StatusOK:
		return verdict{msg: fmt.Sprintf("status %d, want 200", resp.StatusCode)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return verdict{msg: "status 200, body cut off: " + netMessage(t.Addr, err, time.Since(start))}
	}
	if !strings.Contains(string(body), s.expect) {
		within := ""
		if len(body) == maxBody {
			within = " in its first 1 MiB"
		}
		return verdict{msg: fmt.Sprintf("status 200, but the page does not contain %q%s", s.expect, within)}
	}
	return verdict{ok: true, msg: "ok: status 200"}
}

// netMessage says in a few words why a request got no answer.
func netMessage(addr string, err error, took time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var op *net.OpError
	switch {
	case errors.Is(err, context.Canceled):
		return "check canceled"
	case errors.Is(err, context.DeadlineExceeded) || ue != nil && ue.Timeout():
		return fmt.Sprintf("no answer after %s", took.Round(100*time.Millisecond))
	case errors.As(err, &op) && op.Op == "dial":
		inner := op.Err
		var sys *os.SyscallError
		if errors.As(inner, &sys) {
			inner = sys.Err
		}
		return "connect " + addr + ": " + inner.Error()
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before a complete answer"
	}
	return err.Error()
}
