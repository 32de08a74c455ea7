package checks

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
)

// checkTCP passes when addr accepts a connection, which is all a tcp {}
// check promises: the instance is listening. The connection is closed at
// once without sending anything.
func checkTCP(ctx context.Context, addr string) outcome {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return outcome{msg: netMessage(addr, err)}
	}
	_ = conn.Close()
	return outcome{ok: true, msg: "ok: connected to " + addr}
}

// netMessage turns a connection error into the short text an operator
// reads, "connect 127.0.0.1:9101: connection refused", instead of Go's
// `Get "http://www.example.org/": dial tcp 127.0.0.1:9101: connect:
// connection refused`, which repeats the URL the report already names.
func netMessage(addr string, err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		inner := op.Err
		var sys *os.SyscallError
		if errors.As(inner, &sys) {
			inner = sys.Err
		}
		return "connect " + addr + ": " + inner.Error()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "connection closed before a complete answer"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
