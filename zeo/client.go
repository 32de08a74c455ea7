package zeo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"
)

// maxGreeting bounds the greeting frame: protocol ids are a few bytes, and a
// server that speaks first with something else (an SSH banner, say) must not
// be read as a 1 GiB frame.
const maxGreeting = 64

// protocolID is the shape of every id ZEO servers have greeted with, from
// ZEO 3's "Z303" to ZEO 5's "Z5" and "M5".
var protocolID = regexp.MustCompile(`^[ZM][0-9]{1,5}$`)

// client is one connection to a ZEO server, past the greeting. ZEO binds a
// connection to the one storage it registers, so the probe opens one per
// storage.
type client struct {
	addr     string
	budget   time.Duration // the probe's whole time budget, for messages
	ctx      context.Context
	nc       net.Conn
	stop     func() bool
	protocol string
	lastID   int64
}

// dial connects to addr ("host:port", or an absolute path for a Unix socket)
// and reads the server's greeting. The connection's deadline follows ctx, and
// cancelling ctx unblocks any read or write in progress.
func dial(ctx context.Context, addr string, budget time.Duration) (*client, error) {
	network := "tcp"
	if strings.HasPrefix(addr, "/") {
		network = "unix"
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, &Error{Addr: addr, Msg: fmt.Sprintf("cannot connect within %s", roundBudget(budget)),
				Err: errors.Join(context.DeadlineExceeded, err)}
		}
		if ctx.Err() != nil {
			return nil, waitError(ctx, addr, budget, "the connection", err)
		}
		return nil, &Error{Addr: addr, Msg: "cannot connect: " + err.Error() + " (is the ZEO server running and listening there?)", Err: err}
	}
	c := &client{addr: addr, budget: budget, ctx: ctx, nc: nc}
	if deadline, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(deadline)
	}
	c.stop = context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	if err := c.readGreeting(); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *client) close() {
	c.stop()
	_ = c.nc.Close()
}

// readGreeting reads the id the server speaks first and checks that this
// package speaks it too.
func (c *client) readGreeting() error {
	greeting, err := ReadFrame(c.nc, maxGreeting)
	if err != nil {
		var fse *FrameSizeError
		switch {
		case errors.As(err, &fse):
			return &Error{Addr: c.addr, Err: err, Msg: fmt.Sprintf(
				"greeting is not a ZEO frame (it announces %d bytes); is a ZEO server listening there?", fse.Size)}
		case closedByPeer(err):
			return &Error{Addr: c.addr, Msg: "connection closed before the greeting", Err: err}
		}
		return c.failed(err, "the greeting")
	}
	id := string(greeting)
	if !protocolID.MatchString(id) {
		return &Error{Addr: c.addr, Msg: fmt.Sprintf("greeting %q is not a ZEO protocol id", clip(id))}
	}
	if _, err := codecFor(id); err != nil {
		return &Error{Addr: c.addr, Err: err, Msg: fmt.Sprintf(
			"the server speaks ZEO protocol %q; this probe speaks %s and %s (ZEO 5 and later)",
			id, ProtocolMsgpack, ProtocolPickle)}
	}
	c.protocol = id
	return nil
}

// handshake echoes the server's protocol id, which is how a ZEO client
// agrees to speak it.
func (c *client) handshake() error {
	if err := WriteFrame(c.nc, []byte(c.protocol)); err != nil {
		return c.failed(err, "the echo of the protocol id")
	}
	return nil
}

// call sends method(args...) and waits for its reply. A server-side
// exception comes back as a *RemoteError; everything else that goes wrong is
// an *Error naming the address and what the probe was waiting for.
func (c *client) call(method string, args ...any) (any, error) {
	c.lastID++
	id := c.lastID
	what := "the answer to " + callString(method, args)
	if args == nil {
		args = []any{}
	}
	err := WriteMessage(c.nc, c.protocol, Message{ID: id, Flag: FlagSync, Method: method, Args: args})
	if err != nil {
		return nil, c.failed(err, what)
	}
	for {
		m, err := ReadMessage(c.nc, c.protocol, DefaultMaxFrame)
		if err != nil {
			return nil, c.failed(err, what)
		}
		// The server may call us in between (invalidations, info): those
		// and replies to other ids are not ours to answer.
		if !m.IsReply() || m.ID != id {
			continue
		}
		if err := m.Err(); err != nil {
			var re *RemoteError
			if errors.As(err, &re) {
				return nil, re
			}
			return nil, &Error{Addr: c.addr, Msg: "cannot read " + what + ": " + err.Error(), Err: err}
		}
		return m.Args, nil
	}
}

// failed turns an I/O or decoding error into the sentence the operator
// reads: timed out, closed, over the limit, or undecodable.
func (c *client) failed(err error, what string) error {
	var fse *FrameSizeError
	switch {
	case c.ctx.Err() != nil || timedOut(err):
		return waitError(c.ctx, c.addr, c.budget, what, err)
	case errors.As(err, &fse):
		return &Error{Addr: c.addr, Msg: fse.Error(), Err: err}
	case closedByPeer(err):
		if c.lastID <= 1 && what != "the greeting" {
			return &Error{Addr: c.addr, Msg: "connection closed after the greeting, before " + what, Err: err}
		}
		return &Error{Addr: c.addr, Msg: "connection closed before " + what, Err: err}
	}
	return &Error{Addr: c.addr, Msg: "cannot read " + what + ": " + err.Error(), Err: err}
}

// waitError reports running out of time (or being cancelled) while waiting.
func waitError(ctx context.Context, addr string, budget time.Duration, what string, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &Error{Addr: addr, Msg: "probe cancelled while waiting for " + what, Err: ctx.Err()}
	}
	what = strings.TrimPrefix(what, "the ")
	return &Error{Addr: addr, Msg: fmt.Sprintf("no %s within %s", what, roundBudget(budget)),
		Err: errors.Join(context.DeadlineExceeded, err)}
}

// callString shows a call the way the fixtures and ZEO's logs do: register("main", True).
func callString(method string, args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = formatValue(a, 0)
	}
	return method + "(" + strings.Join(parts, ", ") + ")"
}
