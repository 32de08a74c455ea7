package checks

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"deploy/config"
)

func TestHTTP_ATLSTargetIsReachedOverTLSWithTheHostAsServerName(t *testing.T) {
	var sni, host string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host = r.Host
	}))
	srv.TLS = &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		sni = hello.ServerName
		return nil, nil
	}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()

	tgt := Target{Label: "live route", Via: "proxy", Addr: addr, TLS: true}
	res := Run(context.Background(), httpCheck(config.HTTPCheck{Path: "/", Host: "www.example.org"}), tgt)
	if !res.OK {
		t.Fatalf("check over TLS: %+v", res)
	}
	if sni != "www.example.org" || host != "www.example.org" {
		t.Errorf("server name %q, Host %q; want both www.example.org", sni, host)
	}

	// The same listener spoken to in plain HTTP refuses, so the TLS above
	// was really used.
	if res := Run(context.Background(), httpCheck(config.HTTPCheck{Path: "/", Host: "www.example.org"}), testTarget(addr)); res.OK || res.Status != http.StatusBadRequest {
		t.Errorf("plain HTTP to a TLS listener: %+v", res)
	}
}
