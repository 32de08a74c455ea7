package orchestrator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"syscall"

	"deploy/state"
)

// ErrNoController means nothing answers on the control socket.
var ErrNoController = errors.New("no deploy controller is running")

// Client talks to a controller over its control socket.
type Client struct {
	socket string
	http   *http.Client
}

// NewClient returns a client of the controller listening on socket.
func NewClient(socket string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}
	return &Client{socket: socket, http: &http.Client{Transport: tr}}
}

// Up starts a slot.
func (c *Client) Up(ctx context.Context, req UpRequest) (*UpResult, error) {
	return post[UpResult](ctx, c, req.Service, "up", req)
}

// Down stops a slot.
func (c *Client) Down(ctx context.Context, req DownRequest) (*DownResult, error) {
	return post[DownResult](ctx, c, req.Service, "down", req)
}

// Switch routes a service to a slot.
func (c *Client) Switch(ctx context.Context, req SwitchRequest) (*SwitchResult, error) {
	return post[SwitchResult](ctx, c, req.Service, "switch", req)
}

// Rollback switches a service back to its previous slot.
func (c *Client) Rollback(ctx context.Context, req RollbackRequest) (*SwitchResult, error) {
	return post[SwitchResult](ctx, c, req.Service, "rollback", req)
}

// post sends one mutating operation on a service.
func post[Res any](ctx context.Context, c *Client, service, op string, req any) (*Res, error) {
	var res Res
	if err := c.call(ctx, http.MethodPost, "/v1/services/"+url.PathEscape(service)+"/"+op, req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Status reports every service, or one.
func (c *Client) Status(ctx context.Context, service string) ([]ServiceStatus, error) {
	var res []ServiceStatus
	return res, c.call(ctx, http.MethodGet, "/v1/status?service="+url.QueryEscape(service), nil, &res)
}

// History returns a service's last limit history entries (0: all).
func (c *Client) History(ctx context.Context, service string, limit int) ([]state.Entry, error) {
	var res []state.Entry
	path := "/v1/services/" + url.PathEscape(service) + "/history?limit=" + strconv.Itoa(limit)
	return res, c.call(ctx, http.MethodGet, path, nil, &res)
}

func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://deploy"+path, rd)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w on %s; start it with: deploy serve --config FILE", ErrNoController, c.socket)
		}
		return fmt.Errorf("control socket %s: %w", c.socket, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read controller reply: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{}
		if json.Unmarshal(b, e) != nil || e.Message == "" {
			return fmt.Errorf("controller answered %s: %s", resp.Status, bytes.TrimSpace(b))
		}
		return e
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode controller reply: %w", err)
	}
	return nil
}
