package orchestrator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	socket   string
	http     *http.Client
	progress func(Progress)
	step     func(Step)
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

// OnProgress sets a listener for the progress of long operations (build,
// unpack); the client then asks for streamed replies.
func (c *Client) OnProgress(fn func(Progress)) { c.progress = fn }

// OnStep sets a listener for the steps of a release; the client then asks
// for streamed replies.
func (c *Client) OnStep(fn func(Step)) { c.step = fn }

// Check runs a service's checks against a slot.
func (c *Client) Check(ctx context.Context, req CheckRequest) (*CheckReport, error) {
	return post[CheckReport](ctx, c, serviceOp(req.Service, "check"), req)
}

// Release runs the release pipeline.
func (c *Client) Release(ctx context.Context, req ReleaseRequest) (*ReleaseResult, error) {
	return post[ReleaseResult](ctx, c, serviceOp(req.Service, "release"), req)
}

// Maintenance turns a service's maintenance mode on or off.
func (c *Client) Maintenance(ctx context.Context, req MaintenanceRequest) (*MaintenanceResult, error) {
	return post[MaintenanceResult](ctx, c, serviceOp(req.Service, "maintenance"), req)
}

// Pause holds a service's new requests.
func (c *Client) Pause(ctx context.Context, req PauseRequest) (*PauseResult, error) {
	return post[PauseResult](ctx, c, serviceOp(req.Service, "pause"), req)
}

// Resume releases a paused service's requests.
func (c *Client) Resume(ctx context.Context, req ResumeRequest) (*PauseResult, error) {
	return post[PauseResult](ctx, c, serviceOp(req.Service, "resume"), req)
}

// Restart restarts a service's live slot without dropping a request.
func (c *Client) Restart(ctx context.Context, req RestartRequest) (*RestartResult, error) {
	return post[RestartResult](ctx, c, serviceOp(req.Service, "restart"), req)
}

// PurgeCache empties a service's cache, or some of its paths.
func (c *Client) PurgeCache(ctx context.Context, req PurgeRequest) (*PurgeResult, error) {
	return post[PurgeResult](ctx, c, serviceOp(req.Service, "cache/purge"), req)
}

// Controller says which process answers on the control socket.
func (c *Client) Controller(ctx context.Context) (*ControllerInfo, error) {
	var res ControllerInfo
	if err := c.call(ctx, http.MethodGet, "/v1/controller", nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Upgrade makes the controller hand over to a new process of its binary.
func (c *Client) Upgrade(ctx context.Context) (*UpgradeResult, error) {
	return post[UpgradeResult](ctx, c, "/v1/upgrade", UpgradeRequest{})
}

// Up starts a slot.
func (c *Client) Up(ctx context.Context, req UpRequest) (*UpResult, error) {
	return post[UpResult](ctx, c, serviceOp(req.Service, "up"), req)
}

// Down stops a slot.
func (c *Client) Down(ctx context.Context, req DownRequest) (*DownResult, error) {
	return post[DownResult](ctx, c, serviceOp(req.Service, "down"), req)
}

// Switch routes a service to a slot.
func (c *Client) Switch(ctx context.Context, req SwitchRequest) (*SwitchResult, error) {
	return post[SwitchResult](ctx, c, serviceOp(req.Service, "switch"), req)
}

// Rollback switches a service back to its previous slot.
func (c *Client) Rollback(ctx context.Context, req RollbackRequest) (*SwitchResult, error) {
	return post[SwitchResult](ctx, c, serviceOp(req.Service, "rollback"), req)
}

// BuildRelease builds a directory (or imports an exported archive) into a
// release.
func (c *Client) BuildRelease(ctx context.Context, req BuildRequest) (*ReleaseInfo, error) {
	return post[ReleaseInfo](ctx, c, "/v1/releases", req)
}

// Releases lists the releases.
func (c *Client) Releases(ctx context.Context) ([]ReleaseInfo, error) {
	var res []ReleaseInfo
	return res, c.call(ctx, http.MethodGet, "/v1/releases", nil, &res)
}

// RemoveRelease deletes a release no slot uses.
func (c *Client) RemoveRelease(ctx context.Context, id string) (*ReleaseInfo, error) {
	var res ReleaseInfo
	if err := c.call(ctx, http.MethodDelete, "/v1/releases/"+url.PathEscape(id), nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Status reports every service, or one.
func (c *Client) Status(ctx context.Context, service string) ([]ServiceStatus, error) {
	var res []ServiceStatus
	return res, c.call(ctx, http.MethodGet, "/v1/status?service="+url.QueryEscape(service), nil, &res)
}

// History returns a service's last limit history entries (0: all); with
// service "" the whole controller's.
func (c *Client) History(ctx context.Context, service string, limit int) ([]state.Entry, error) {
	var res []state.Entry
	path := "/v1/history?limit=" + strconv.Itoa(limit)
	if service != "" {
		path = "/v1/services/" + url.PathEscape(service) + "/history?limit=" + strconv.Itoa(limit)
	}
	return res, c.call(ctx, http.MethodGet, path, nil, &res)
}

// Logs copies the end of a slot's instance logs to w (instance 0: every
// instance), and with follow keeps copying until ctx ends.
func (c *Client) Logs(ctx context.Context, service, slot string, instance, lines int, follow bool, w io.Writer) error {
	q := url.Values{"slot": {slot}, "instance": {strconv.Itoa(instance)}, "lines": {strconv.Itoa(lines)}}
	if follow {
		q.Set("follow", "1")
	}
	resp, err := c.send(ctx, http.MethodGet, "/v1/services/"+url.PathEscape(service)+"/logs?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil && ctx.Err() == nil {
		return fmt.Errorf("read logs: %w", err)
	}
	return nil
}

// Export writes a running slot's stack as a release archive to w and returns
// its sha256, checked against the controller's.
func (c *Client) Export(ctx context.Context, service, slot string, w io.Writer) (string, error) {
	path := "/v1/services/" + url.PathEscape(service) + "/export?slot=" + url.QueryEscape(slot)
	resp, err := c.send(ctx, http.MethodGet, path, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), resp.Body); err != nil {
		return "", fmt.Errorf("read export: %w", err)
	}
	got, want := hex.EncodeToString(h.Sum(nil)), resp.Trailer.Get(ChecksumTrailer)
	if want == "" {
		return "", errors.New("the controller did not finish the export; see its log")
	}
	if got != want {
		return "", fmt.Errorf("export arrived damaged: sha256 %s, controller wrote %s", got, want)
	}
	return got, nil
}

// Reload makes the controller read its configuration file again.
func (c *Client) Reload(ctx context.Context) (*ReloadResult, error) {
	return post[ReloadResult](ctx, c, "/v1/reload", ReloadRequest{})
}

func serviceOp(service, op string) string {
	return "/v1/services/" + url.PathEscape(service) + "/" + op
}

// post sends one mutating operation.
func post[Res any](ctx context.Context, c *Client, path string, req any) (*Res, error) {
	var res Res
	if err := c.call(ctx, http.MethodPost, path, req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// call sends a request and decodes its JSON (or streamed) reply into out.
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") == ndjson {
		return c.readStream(resp.Body, out)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read controller reply: %w", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode controller reply: %w", err)
	}
	return nil
}

// send sends a request and turns a refused connection or an error reply
// into an error the user can act on.
func (c *Client) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://deploy"+path, rd)
	if err != nil {
		return nil, err
	}
	if (c.progress != nil || c.step != nil) && method == http.MethodPost {
		req.Header.Set("Accept", ndjson)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w on %s; start it with: deploy serve --config FILE", ErrNoController, c.socket)
		}
		if errors.Is(err, syscall.EACCES) {
			// The socket's mode (0600) keeps other users out.
			return nil, fmt.Errorf("control socket %s: permission denied: only the controller's user or root may use it; run as that user, or use the TCP API with --api", c.socket)
		}
		return nil, fmt.Errorf("control socket %s: %w", c.socket, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{}
	if json.Unmarshal(b, e) != nil || e.Message == "" {
		return nil, fmt.Errorf("controller answered %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return nil, e
}

// readStream hands progress events to the listener and decodes the final
// result or error.
func (c *Client) readStream(r io.Reader, out any) error {
	dec := json.NewDecoder(r)
	for {
		var ev StreamEvent
		if err := dec.Decode(&ev); err != nil {
			return fmt.Errorf("read controller stream: %w", err)
		}
		switch {
		case ev.Progress != nil && c.progress != nil:
			c.progress(*ev.Progress)
		case ev.Step != nil && c.step != nil:
			c.step(*ev.Step)
		case ev.Error != nil:
			return ev.Error
		case ev.Result != nil:
			if err := json.Unmarshal(ev.Result, out); err != nil {
				return fmt.Errorf("decode controller reply: %w", err)
			}
			return nil
		}
	}
}

// ZEOStatus probes a ZEO server through the controller and reports a
// managed one's process and packs.
func (c *Client) ZEOStatus(ctx context.Context, name string) (*ZEOStatus, error) {
	var res ZEOStatus
	if err := c.call(ctx, http.MethodGet, "/v1/zeo/"+url.PathEscape(name), nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// RestartZEO restarts a managed ZEO server.
func (c *Client) RestartZEO(ctx context.Context, name string) (*ZEOStatus, error) {
	return post[ZEOStatus](ctx, c, "/v1/zeo/"+url.PathEscape(name)+"/restart", ZEORequest{})
}

// PackZEO packs a managed ZEO server now.
func (c *Client) PackZEO(ctx context.Context, name string) (*PackResult, error) {
	return post[PackResult](ctx, c, "/v1/zeo/"+url.PathEscape(name)+"/pack", ZEORequest{})
}

// Plugins reports every configured plugin.
func (c *Client) Plugins(ctx context.Context) ([]PluginReport, error) {
	var res []PluginReport
	return res, c.call(ctx, http.MethodGet, "/v1/plugins", nil, &res)
}
