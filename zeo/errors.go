package zeo

import (
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// Error is a failure of Probe itself: the server could not be asked, so
// nothing is known about its storages. It reads as one sentence naming the
// address ("zeo 127.0.0.1:8100: no greeting within 2s"); Err keeps the cause
// for errors.Is and errors.As (context.DeadlineExceeded, io.EOF,
// *FrameSizeError, ErrUnsupportedProtocol, a *net.OpError).
type Error struct {
	Addr string
	Msg  string
	Err  error
}

func (e *Error) Error() string { return "zeo " + e.Addr + ": " + e.Msg }

func (e *Error) Unwrap() error { return e.Err }

// closedByPeer reports whether err means the server went away: a clean
// close, a close inside a frame, or a reset when we wrote to a socket the
// server had already closed.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed)
}

// timedOut reports whether err is a deadline passing on the socket.
func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// roundBudget shows a time budget as people set it: 2s, 200ms.
func roundBudget(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d
	}
	return d.Round(time.Millisecond)
}
