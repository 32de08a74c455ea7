package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// notifySocket listens where NOTIFY_SOCKET points for the rest of the
// test. Unix socket paths are short (108 bytes), so it lives under a short
// temporary directory rather than t.TempDir().
func notifySocket(t *testing.T) *net.UnixConn {
	t.Helper()
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return conn
}

func receive(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNotify_SendsEachStateAsSystemdExpects(t *testing.T) {
	conn := notifySocket(t)
	for _, tc := range []struct {
		send func() error
		want string
	}{
		{notifyReady, "READY=1"},
		{notifyStopping, "STOPPING=1"},
		{func() error { return notifyStatus("reloading\nconfiguration") }, "STATUS=reloading configuration"},
	} {
		if err := tc.send(); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, conn); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}

	before := monotonicUsec(t)
	if err := notifyReloading(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(receive(t, conn)), "\n")
	if len(lines) != 2 || lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
		t.Fatalf("reloading sent %q, want RELOADING=1 and MONOTONIC_USEC= in one datagram", lines)
	}
	usec, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64)
	if err != nil || usec < before || usec > monotonicUsec(t) {
		t.Errorf("MONOTONIC_USEC=%d is not the monotonic clock now (%v)", usec, err)
	}
}

// monotonicUsec reads CLOCK_MONOTONIC in microseconds, as systemd does.
func monotonicUsec(t *testing.T) int64 {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return ts.Nano() / 1e3
}

func TestNotify_IsANoOpWithoutNotifySocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	for _, send := range []func() error{notifyReady, notifyReloading, notifyStopping, func() error { return notifyStatus("x") }} {
		if err := send(); err != nil {
			t.Errorf("without NOTIFY_SOCKET: %v", err)
		}
	}
}
