package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
)

// maxRequestBody bounds a control request; every request is a small object.
const maxRequestBody = 64 << 10

// API serves the controller's operations as JSON over HTTP.
type API struct {
	c   *Controller
	log *slog.Logger
	mux *http.ServeMux
}

// NewAPI returns the control API handler of c.
func NewAPI(c *Controller) *API {
	a := &API{c: c, log: c.log, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /v1/status", a.status)
	a.mux.HandleFunc("GET /v1/controller", func(w http.ResponseWriter, _ *http.Request) { a.reply(w, c.Info(), nil) })
	a.mux.HandleFunc("GET /v1/services/{service}/history", a.history)
	a.mux.HandleFunc("GET /v1/history", a.history)
	a.mux.HandleFunc("POST /v1/services/{service}/up", mutation(a, c.Up))
	a.mux.HandleFunc("POST /v1/services/{service}/down", mutation(a, c.Down))
	a.mux.HandleFunc("POST /v1/services/{service}/switch", mutation(a, c.Switch))
	a.mux.HandleFunc("POST /v1/services/{service}/rollback", mutation(a, c.Rollback))
	a.mux.HandleFunc("POST /v1/services/{service}/check", mutation(a, c.Check))
	a.mux.HandleFunc("POST /v1/services/{service}/release", mutation(a, c.Release))
	a.mux.HandleFunc("POST /v1/services/{service}/maintenance", mutation(a, c.Maintenance))
	a.mux.HandleFunc("POST /v1/services/{service}/pause", mutation(a, c.Pause))
	a.mux.HandleFunc("POST /v1/services/{service}/resume", mutation(a, c.Resume))
	a.mux.HandleFunc("POST /v1/services/{service}/restart", mutation(a, c.Restart))
	a.mux.HandleFunc("POST /v1/services/{service}/cache/purge", mutation(a, c.PurgeCache))
	a.mux.HandleFunc("GET /v1/services/{service}/logs", a.logs)
	a.mux.HandleFunc("GET /v1/services/{service}/export", a.export)
	a.mux.HandleFunc("GET /v1/releases", a.releasesList)
	a.mux.HandleFunc("POST /v1/releases", mutation(a, c.BuildRelease))
	a.mux.HandleFunc("DELETE /v1/releases/{id}", a.releaseRemove)
	a.mux.HandleFunc("GET /v1/zeo/{zeo}", a.zeoStatus)
	a.mux.HandleFunc("GET /v1/plugins", a.plugins)
	a.mux.HandleFunc("POST /v1/zeo/{zeo}/restart", mutation(a, c.RestartZEO))
	a.mux.HandleFunc("POST /v1/zeo/{zeo}/pack", mutation(a, c.PackZEO))
	a.mux.HandleFunc("POST /v1/reload", mutation(a, c.Reload))
	a.mux.HandleFunc("POST /v1/upgrade", mutation(a, c.Upgrade))
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

func (a *API) status(w http.ResponseWriter, r *http.Request) {
	res, err := a.c.Status(r.URL.Query().Get("service"))
	a.reply(w, res, err)
}

func (a *API) releasesList(w http.ResponseWriter, r *http.Request) {
	res, err := a.c.Releases()
	a.reply(w, res, err)
}

func (a *API) releaseRemove(w http.ResponseWriter, r *http.Request) {
	res, err := a.c.RemoveRelease(r.Context(), RemoveReleaseRequest{ID: r.PathValue("id"), Actor: actor(r.Context())})
	a.reply(w, res, err)
}

func (a *API) plugins(w http.ResponseWriter, r *http.Request) {
	res, err := a.c.Plugins(r.Context())
	a.reply(w, res, err)
}

func (a *API) zeoStatus(w http.ResponseWriter, r *http.Request) {
	res, err := a.c.ZEOStatus(r.Context(), r.PathValue("zeo"))
	a.reply(w, res, err)
}

func (a *API) history(w http.ResponseWriter, r *http.Request) {
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			a.reply(w, nil, errorf(KindInvalid, "give a whole number of entries", "limit %q is not a non-negative number", v))
			return
		}
		limit = n
	}
	res, err := a.c.History(r.PathValue("service"), limit)
	a.reply(w, res, err)
}

// caller is what every mutating request learns from its connection rather
// than from its body: which service (the path) and who asks (the peer).
type caller interface{ setCaller(service, actor string) }

func (r *UpRequest) setCaller(service, actor string)       { r.Service, r.Actor = service, actor }
func (r *DownRequest) setCaller(service, actor string)     { r.Service, r.Actor = service, actor }
func (r *SwitchRequest) setCaller(service, actor string)   { r.Service, r.Actor = service, actor }
func (r *RollbackRequest) setCaller(service, actor string) { r.Service, r.Actor = service, actor }
func (r *CheckRequest) setCaller(service, actor string)    { r.Service, r.Actor = service, actor }
func (r *ReleaseRequest) setCaller(service, actor string)  { r.Service, r.Actor = service, actor }
func (r *MaintenanceRequest) setCaller(service, actor string) {
	r.Service, r.Actor = service, actor
}
func (r *PauseRequest) setCaller(service, actor string)  { r.Service, r.Actor = service, actor }
func (r *ResumeRequest) setCaller(service, actor string) { r.Service, r.Actor = service, actor }
func (r *PurgeRequest) setCaller(service, actor string)  { r.Service, r.Actor = service, actor }
func (r *RestartRequest) setCaller(service, actor string) {
	r.Service, r.Actor = service, actor
}

// mutation serves one mutating operation. It runs to the end even when the
// client goes away: a half-done switch or start helps nobody.
func mutation[Req any, PReq interface {
	*Req
	caller
}, Res any](a *API, op func(context.Context, Req) (Res, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if !a.decode(w, r, &req) {
			return
		}
		// The target is a service, or for ZEO operations a ZEO server.
		target := r.PathValue("service")
		if target == "" {
			target = r.PathValue("zeo")
		}
		PReq(&req).setCaller(target, actor(r.Context()))
		ctx := context.WithoutCancel(r.Context())
		if r.Header.Get("Accept") == ndjson {
			a.streamReply(w, ctx, func(ctx context.Context) (any, error) { return op(ctx, req) })
			return
		}
		res, err := op(ctx, req)
		a.reply(w, res, err)
	}
}

// decode reads a request body strictly: unknown fields and trailing data are
// errors, so a typo in a client never silently means something else.
func (a *API) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		switch extra := dec.Decode(&struct{}{}); {
		case extra == io.EOF:
		case errors.As(extra, new(*http.MaxBytesError)):
			err = extra
		default:
			err = errors.New("more than one JSON value")
		}
	}
	if err != nil {
		a.reply(w, nil, errorf(KindInvalid, "send one JSON object with the documented fields", "bad request body: %v", err))
		return false
	}
	return true
}

func (a *API) reply(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	status := http.StatusOK
	if err != nil {
		e := asError(err)
		status, v = e.HTTPStatus(), e
	}
	b, merr := json.Marshal(v)
	if merr != nil {
		a.log.Error("encode control reply", "err", merr)
		status, b = http.StatusInternalServerError, []byte(fmt.Sprintf(`{"kind":"failed","error":%q}`, merr.Error()))
	}
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
