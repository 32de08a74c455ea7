// Package notifytest stands where systemd does for sd_notify: a datagram
// socket that NOTIFY_SOCKET names, read by the tests that check what
// deploy serve tells its service manager.
package notifytest

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Listen opens a notify socket for the rest of the test and returns it with
// its path. Unix socket paths are at most 108 bytes, so it lives in a short
// directory under os.TempDir rather than under t.TempDir.
func Listen(t *testing.T) (*net.UnixConn, string) {
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
	return conn, path
}

// Receive returns the next datagram, failing the test when none arrives
// within the given time.
func Receive(t *testing.T, conn *net.UnixConn, within time.Duration) string {
	t.Helper()
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(within))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no sd_notify datagram within %v: %v", within, err)
	}
	return string(buf[:n])
}
