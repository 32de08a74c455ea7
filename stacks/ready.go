package stacks

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// probeClient is shared by all probes. It never follows redirects (a redirect
// already shows the instance is serving, and following one could leave
// 127.0.0.1), never keeps connections alive (a probe must not hold a socket
// open on the instance between probes) and ignores proxy settings.
var probeClient = &http.Client{
	Transport: &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

func probeURL(port int, path string) string {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return "http://127.0.0.1:" + strconv.Itoa(port) + path
}

// Probe sends one GET to http://127.0.0.1:port/path, waiting at most a second,
// and succeeds on a 2xx or 3xx answer.
func Probe(ctx context.Context, port int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	url := probeURL(port, path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return err // *url.Error: names the method and URL already
	}
	// Read a little so a small answer completes cleanly; the body is not needed.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return fmt.Errorf("GET %s: answered %s", url, resp.Status)
	}
	return nil
}

// WaitReady probes http://127.0.0.1:port/path until it answers 2xx or 3xx, or
// ctx ends; then the error includes the last probe's error.
func WaitReady(ctx context.Context, port int, path string) error {
	t := time.NewTicker(probeInterval)
	defer t.Stop()
	var last error
	for {
		err := Probe(ctx, port, path)
		if err == nil {
			return nil
		}
		// A probe cut short by ctx says nothing about the instance; an earlier
		// error ("connection refused", "answered 503") tells the operator more.
		if ctx.Err() == nil || last == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last probe: %w)", probeURL(port, path), ctx.Err(), last)
		case <-t.C:
		}
	}
}
