package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Limits on what a client may send before the proxy gives up on it.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 1 << 20
)

// ServerOptions configure the listeners in front of a Proxy.
type ServerOptions struct {
	// TLS configures the TLS listeners (certificates, ALPN); nil when the
	// proxy has none.
	TLS *tls.Config
	// Challenges wraps the plain-HTTP handler so that it answers ACME
	// HTTP-01 challenges first; nil when there are none to answer.
	Challenges func(http.Handler) http.Handler
	// RedirectHTTP, when set, tells which hosts have TLS: plain-HTTP
	// requests for them are redirected to HTTPS on HTTPSPort.
	RedirectHTTP func(host string) bool
	HTTPSPort    int
	// HSTS is the Strict-Transport-Security value of every HTTPS
	// response; "" sends none.
	HSTS string
}

// Server is the set of listeners in front of a Proxy: plain HTTP and, when
// configured, TLS with HTTP/2.
type Server struct {
	plain, tls *http.Server
}

// NewServer returns the servers that feed requests to p.
func NewServer(p *Proxy, opts ServerOptions) *Server {
	var plain http.Handler = p
	if opts.RedirectHTTP != nil {
		plain = &redirector{p: p, hasTLS: opts.RedirectHTTP, port: opts.HTTPSPort, next: p}
	}
	if opts.Challenges != nil {
		plain = opts.Challenges(plain)
	}
	s := &Server{plain: newHTTPServer(p, plain)}
	if opts.TLS != nil {
		var secure http.Handler = p
		if opts.HSTS != "" {
			secure = withHSTS(opts.HSTS, p)
		}
		s.tls = newHTTPServer(p, secure)
		s.tls.TLSConfig = opts.TLS
		// Handshakes failing is what scanners and clients with stale names
		// do all day; the host's own certificate problems are in status.
		s.tls.ErrorLog = slog.NewLogLogger(handshakeQuiet{p.log.Handler()}, slog.LevelWarn)
	}
	return s
}

func newHTTPServer(p *Proxy, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
}

// Serve accepts plain-HTTP connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	return served(s.plain.Serve(ln))
}

// ServeTLS accepts TLS connections on ln until Shutdown. The server must
// have been made with ServerOptions.TLS.
func (s *Server) ServeTLS(ln net.Listener) error {
	if s.tls == nil {
		return errors.New("proxy: ServeTLS without a TLS configuration")
	}
	return served(s.tls.ServeTLS(ln, "", ""))
}

func served(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits for in-flight requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.tls == nil {
		return s.plain.Shutdown(ctx)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.tls.Shutdown(ctx) }()
	return errors.Join(s.plain.Shutdown(ctx), <-errc)
}
