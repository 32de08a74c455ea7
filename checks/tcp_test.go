package checks

import (
	"context"
	"net"
	"testing"

	"deploy/config"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestTCP_PassesWhenTheAddressAcceptsAConnection(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan struct{})
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
			close(accepted)
		}
	}()
	r := Run(context.Background(), config.Check{Name: "port", TCP: true}, testTarget(ln.Addr().String()))
	wantOK(t, r)
	<-accepted
	if r.Kind != "tcp" || r.Attempts != 1 {
		t.Errorf("result = %+v", r)
	}
}

func TestTCP_FailsWhenTheConnectionIsRefused(t *testing.T) {
	t.Parallel()
	addr := closedAddr(t)
	r := Run(context.Background(), config.Check{Name: "port", TCP: true, Retries: 1}, testTarget(addr))
	wantFailure(t, r, "connect "+addr+": connection refused")
	if r.Attempts != 2 {
		t.Errorf("Attempts = %d, want 2", r.Attempts)
	}
}
