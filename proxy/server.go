package proxy

import (
	"cmp"
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
	// DefaultMaxBodySize is the largest request body passed on when the
	// ServerOptions name none. Plone sites take uploads of large files, so
	// it is generous; it still keeps one request from filling the disk on
	// which Zope spools uploads.
	DefaultMaxBodySize = 1 << 30
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
	// MaxBodySize is the largest request body, in bytes, that is passed on
	// to an instance; a larger one is answered 413. 0 means
	// DefaultMaxBodySize.
	MaxBodySize int64
	// ReadHeaderTimeout is how long a client may take to send a request's
	// headers before its connection is closed; 0 means 10s. Tests shorten
	// it rather than wait that long.
	ReadHeaderTimeout time.Duration
}

// Server is the set of listeners in front of a Proxy: plain HTTP and, when
// configured, TLS with HTTP/2.
type Server struct {
	plain, tls *http.Server
	log        *slog.Logger
	handover   handover
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
	s := &Server{plain: newHTTPServer(p, plain, opts), log: p.log}
	if opts.TLS != nil {
		var secure http.Handler = p
		if opts.HSTS != "" {
			secure = withHSTS(opts.HSTS, p)
		}
		s.tls = newHTTPServer(p, secure, opts)
		s.tls.TLSConfig = opts.TLS
		// Handshakes failing is what scanners and clients with stale names
		// do all day; the host's own certificate problems are in status.
		s.tls.ErrorLog = slog.NewLogLogger(handshakeQuiet{p.log.Handler()}, slog.LevelWarn)
	}
	for _, hs := range []*http.Server{s.plain, s.tls} {
		if hs != nil {
			hs.Handler = s.handover.closing(hs.Handler)
			hs.ConnState = s.handover.track(hs.ConnState)
		}
	}
	return s
}

// newHTTPServer returns a server whose every request meets the gate
// first. ConnContext and ConnState feed the watch that logs the requests
// net/http refuses by itself (see refusals.go); they only act on the
// connections of Serve, the TLS ones being opaque to the watch.
func newHTTPServer(p *Proxy, h http.Handler, opts ServerOptions) *http.Server {
	return &http.Server{
		Handler:           newGate(p, h, opts.MaxBodySize),
		ReadHeaderTimeout: cmp.Or(opts.ReadHeaderTimeout, readHeaderTimeout),
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		ConnContext:       watchedConnContext,
		ConnState:         watchConnState,
	}
}

// Serve accepts plain-HTTP connections on ln until Shutdown. Their requests
// that net/http refuses before the proxy sees them are logged.
func (s *Server) Serve(ln net.Listener) error {
	return s.served(s.plain.Serve(&watchedListener{Listener: s.handover.listening(ln), log: s.log}))
}

// ServeTLS accepts TLS connections on ln until Shutdown. The server must
// have been made with ServerOptions.TLS.
func (s *Server) ServeTLS(ln net.Listener) error {
	if s.tls == nil {
		return errors.New("proxy: ServeTLS without a TLS configuration")
	}
	return s.served(s.tls.ServeTLS(s.handover.listening(ln), "", ""))
}

// served is how serving ended: nil after Shutdown or Handover, which
// closed the listener on purpose.
func (s *Server) served(err error) error {
	if errors.Is(err, http.ErrServerClosed) || s.handover.started.Load() {
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
