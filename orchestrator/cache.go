package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"deploy/config"
	"deploy/proxy"
	"deploy/state"
)

func cacheOptions(c *config.Cache) *proxy.CacheOptions {
	if c == nil {
		return nil
	}
	return &proxy.CacheOptions{MaxSize: c.MaxSize, DefaultTTL: c.DefaultTTL, PurgeFrom: c.PurgeFrom}
}

// PurgeRequest asks to empty a service's cache, or the entries of a path
// ("/page") or prefix ("/theme/*").
type PurgeRequest struct {
	Service string `json:"-"`
	Path    string `json:"path,omitempty"`
	Actor   string `json:"-"`
}

// PurgeResult says how many entries went.
type PurgeResult struct {
	Service string `json:"service"`
	Path    string `json:"path,omitempty"`
	Purged  int    `json:"purged"`
}

// PurgeCache empties a service's cache in every release. It takes no busy
// lock: a purge during a release is what an operator may need most.
func (c *Controller) PurgeCache(_ context.Context, req PurgeRequest) (res *PurgeResult, err error) {
	started := time.Now()
	defer func() {
		e := state.Entry{Actor: req.Actor, Op: "cache purge", Service: req.Service, Detail: req.Path}
		if res != nil {
			e.Detail = purgeDetail(res)
		}
		c.record(e, started, err)
	}()
	if _, err := c.service(req.Service); err != nil {
		return nil, err
	}
	if req.Path != "" && req.Path[0] != '/' {
		return nil, errorf(KindInvalid, "give a path such as /front-page or a prefix such as /theme/*", "path %q does not start with /", req.Path)
	}
	n, err := c.proxy.PurgeCache(req.Service, req.Path)
	if errors.Is(err, proxy.ErrNoCache) {
		return nil, errorf(KindRefused, "a cache block in the service turns the cache on", "%s keeps no cache", req.Service)
	}
	if err != nil {
		return nil, errorf(KindFailed, "", "%v", err)
	}
	return &PurgeResult{Service: req.Service, Path: req.Path, Purged: n}, nil
}

func purgeDetail(r *PurgeResult) string {
	what := "everything"
	if r.Path != "" {
		what = r.Path
	}
	return fmt.Sprintf("%s: %d entries", what, r.Purged)
}
