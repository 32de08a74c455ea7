package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// sideServer is an HTTP server of the controller beside the proxy and the
// control socket: the status page or the metrics endpoint.
type sideServer struct {
	name string
	ln   net.Listener
	srv  *http.Server
}

// listenSide opens the side server's port; it is called with the proxy's
// listeners, so that a port taken by someone else fails the start before
// any instance is adopted.
func listenSide(name, addr string, h http.Handler, log *slog.Logger) (*sideServer, error) {
	ln, err := listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listener: %w", name, err)
	}
	return &sideServer{name: name, ln: ln, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}}, nil
}

// serve serves until shutdown; a failure other than the shutdown goes to
// errc.
func (s *sideServer) serve(errc chan<- error, log *slog.Logger) {
	log.Info(s.name+" listening", "addr", s.ln.Addr().String())
	go func() {
		if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("%s: %w", s.name, err)
		}
	}()
}

func (s *sideServer) shutdown(ctx context.Context) { s.srv.Shutdown(ctx) }

// close releases the port of a side server that never served.
func (s *sideServer) close() { s.ln.Close() }

// nonNil keeps the side servers that are configured.
func nonNil(servers ...*sideServer) []*sideServer {
	var out []*sideServer
	for _, s := range servers {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

func closeSides(servers []*sideServer) {
	for _, s := range servers {
		s.close()
	}
}
