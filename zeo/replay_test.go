package zeo_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"deploy/zeo/zeotest"
)

// step is one move of a replayed connection: send bytes to the probe, expect
// exact bytes from it, or hang up.
type step struct {
	send   []byte
	expect []byte
	close  bool
}

func send(f zeotest.Frame) step   { return step{send: f.Bytes} }
func expect(f zeotest.Frame) step { return step{expect: f.Bytes} }
func raw(b []byte) step           { return step{send: b} }

var hangUp = step{close: true}

// replayServer listens on loopback and plays one script per connection, in
// the order the probe connects. What the probe sends must be the captured
// client bytes exactly. After its script a connection is held open until the
// probe closes it, so a script that stops early is a server that never
// answers.
func replayServer(t *testing.T, scripts ...[]step) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, script := range scripts {
			c, err := ln.Accept()
			if err != nil {
				t.Errorf("connection %d of %d never came: %v", i+1, len(scripts), err)
				return
			}
			play(t, c, i+1, script)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func play(t *testing.T, c net.Conn, n int, script []step) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	for _, s := range script {
		switch {
		case s.close:
			return
		case s.send != nil:
			if _, err := c.Write(s.send); err != nil {
				t.Errorf("connection %d: write: %v", n, err)
				return
			}
		default:
			got := make([]byte, len(s.expect))
			if _, err := io.ReadFull(c, got); err != nil {
				t.Errorf("connection %d: expected % x, read: %v", n, s.expect, err)
				return
			}
			if !bytes.Equal(got, s.expect) {
				t.Errorf("connection %d: probe sent % x\nthe capture has   % x", n, got, s.expect)
				return
			}
		}
	}
	// Hold the connection until the probe lets go of it.
	_, _ = io.Copy(io.Discard, c)
}

// servedScript is the capture's conversation for storage "1".
func servedScript(t *testing.T, protocol string) []step {
	c := capture(t, protocol)
	f := func(label string) zeotest.Frame {
		fr, err := c.Frame(label)
		if err != nil {
			t.Fatal(err)
		}
		return fr
	}
	return []step{
		send(f("greeting (raw)")), expect(f("version echo (raw)")),
		expect(f("register('1',True)")), send(f("register reply")),
		expect(f("lastTransaction()")), send(f("lastTransaction reply")),
	}
}

func unknownScript(t *testing.T, protocol string) []step {
	return []step{
		send(frame(t, protocol, "greeting (raw)")), expect(frame(t, protocol, "version echo (raw)")),
		expect(frame(t, protocol, "register('nosuch',True)")), send(frame(t, protocol, "error reply")),
	}
}

// ruokScript is the capture's ruok conversation; the server closes after it.
func ruokScript(t *testing.T, protocol string) []step {
	return []step{
		send(frame(t, protocol, "greeting (raw)")),
		expect(frame(t, protocol, "ruok")), send(frame(t, protocol, "ruok reply")), hangUp,
	}
}

// zeoError asserts that err is a probe *Error whose whole message is want.
// zeoErrorWithin checks an error that says the probe ran out of its time:
// "what within BUDGET". The budget is what was left of the context's
// timeout when the probe started, so it may be a few milliseconds short of
// the timeout the test gave.
func zeoErrorWithin(t *testing.T, err error, addr, what string, timeout time.Duration) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", what)
	}
	prefix := "zeo " + addr + ": " + what + " within "
	rest, ok := strings.CutPrefix(err.Error(), prefix)
	budget, perr := time.ParseDuration(rest)
	if !ok || perr != nil || budget > timeout || budget < timeout-timeout/4 {
		t.Fatalf("error %q\nwant  %q followed by a budget of at most %s", err, prefix, timeout)
	}
	zeoError(t, err, addr, what+" within "+rest)
}

func zeoError(t *testing.T, err error, addr, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if got := err.Error(); got != "zeo "+addr+": "+want {
		t.Fatalf("error %q\nwant  %q", got, "zeo "+addr+": "+want)
	}
	var ze interface{ Unwrap() error }
	if !errors.As(err, &ze) {
		t.Fatalf("error %T does not wrap its cause", err)
	}
}
