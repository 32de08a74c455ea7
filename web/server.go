// Package web is the controller's status page: one server-rendered page that
// shows every service's live and previous slot, its instances, traffic and
// history, for the deployment manager in an incident, with a rollback and a
// switch button guarded by a token.
package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"html/template"
	"io"
	"log/slog"
	"net/http"

	"deploy/orchestrator"
	"deploy/state"
)

// Controller is what the page needs of the controller;
// *orchestrator.Controller is one.
type Controller interface {
	Status(service string) ([]orchestrator.ServiceStatus, error)
	History(service string, limit int) ([]state.Entry, error)
	Switch(ctx context.Context, req orchestrator.SwitchRequest) (*orchestrator.SwitchResult, error)
	Rollback(ctx context.Context, req orchestrator.RollbackRequest) (*orchestrator.SwitchResult, error)
}

// Options configure a Server.
type Options struct {
	// Token authorises the switch and rollback buttons; "" leaves the page
	// read-only and every POST is refused.
	Token string
	// Logger receives refusals and actions; nil discards them.
	Logger *slog.Logger
}

// Page defaults.
const (
	// historyLen is how many of a service's latest operations the page shows.
	historyLen = 10
	// maxFormBody bounds an action's form: a token, a name and a reason.
	maxFormBody = 64 << 10
	// contentSecurityPolicy allows the page's own script and style only:
	// no inline script, no other origin, no framing, forms to itself.
	contentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

var templates = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))

// Server serves the status page of one controller.
type Server struct {
	ctrl Controller
	log  *slog.Logger
	mux  *http.ServeMux
	// handler is mux behind Go's cross-origin protection: a browser's
	// POST from another site is refused before the token is even read.
	handler http.Handler
	rates   rates
	// tokenSum is the token's SHA-256, compared in constant time with the
	// sum of what the form sends, so that neither the content nor the
	// length of the token leaks through timing. Nil when actions are off.
	tokenSum []byte
}

// New returns the status page of c.
func New(c Controller, opts Options) *Server {
	s := &Server{ctrl: c, log: opts.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Token != "" {
		sum := sha256.Sum256([]byte(opts.Token))
		s.tokenSum = sum[:]
	}
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.HandleFunc("GET /status.json", s.statusJSON)
	s.mux.HandleFunc("GET /assets/{name}", s.asset)
	s.mux.HandleFunc("POST /services/{service}/rollback", s.rollback)
	s.mux.HandleFunc("POST /services/{service}/switch", s.switchTo)
	s.handler = http.NewCrossOriginProtection().Handler(s.mux)
	return s
}

// ServeHTTP serves the page, its assets, its JSON and its actions, with
// headers that keep the page out of frames, caches and other origins.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	s.handler.ServeHTTP(w, r)
}

// Run samples the controller's traffic counters every second, for the
// requests per second and error rate of each slot, until ctx ends.
func (s *Server) Run(ctx context.Context) {
	s.rates.run(ctx, s.ctrl, s.log)
}

func (s *Server) actionsOn() bool { return s.tokenSum != nil }
