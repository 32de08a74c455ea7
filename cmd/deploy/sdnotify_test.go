package main

import (
	"deploy/internal/notifytest"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestNotify_SendsEachStateAsSystemdExpects(t *testing.T) {
	conn, path := notifytest.Listen(t)
	t.Setenv("NOTIFY_SOCKET", path)
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
		if got := notifytest.Receive(t, conn, 5*time.Second); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}

	before := monotonicUsec(t)
	if err := notifyReloading(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(notifytest.Receive(t, conn, 5*time.Second)), "\n")
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
