package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// postTimeout bounds a post when the host's context has no sooner deadline.
const postTimeout = 30 * time.Second

// post sends body to rawURL as application/json and wants a 2xx answer.
// Errors name the URL's scheme and host only: webhook URLs often carry
// their secret token in the path or the user info.
func post(ctx context.Context, rawURL string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, postTimeout)
	defer cancel()
	site := siteOf(rawURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post event to %s: cannot build the request", site)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "deploy-plugin-notifier-file")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post event to %s: %w", site, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the server finish its answer
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post event to %s: answered %s, want 2xx", site, resp.Status)
	}
	return nil
}

// siteOf returns scheme://host of rawURL, which parseSettings has checked.
func siteOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "the configured url"
	}
	return u.Scheme + "://" + u.Host
}
