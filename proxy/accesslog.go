package proxy

import (
	"context"
	"deploy/proxy/httpcache"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// accessLog writes one JSON line per observed request. It is replaced
// whole, never changed, so that a request holds one consistent setting.
type accessLog struct {
	// h is a JSONHandler: it escapes what clients send (URIs, user agents)
	// and serialises the lines of concurrent requests.
	h      slog.Handler
	sample float64
	// failing is set from a failed write until the next one succeeds, so a
	// full disk is reported once rather than once per request.
	failing atomic.Bool
}

// SetAccessLog starts logging every request the proxy observes to w, one
// JSON object per line, or stops when w is nil. Of the requests answered
// below 500, the fraction sample (more than 0, at most 1) is logged, picked
// at random; 5xx answers are always logged, and a sample outside that range
// logs every request. It may be called at any time, with requests in
// flight: each request logs to the writer set when it ended. A write that
// fails costs the request nothing but the attempt; it is reported through
// the proxy's logger, once until a write succeeds again.
func (p *Proxy) SetAccessLog(w io.Writer, sample float64) {
	if w == nil {
		p.accessLog.Store(nil)
		return
	}
	if !(sample > 0 && sample <= 1) {
		sample = 1
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: accessLogAttr})
	p.accessLog.Store(&accessLog{h: h, sample: sample})
}

// accessLogAttr leaves out the level and message that the JSONHandler
// writes into every line: an access log line is neither.
func accessLogAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && (a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
		return slog.Attr{}
	}
	return a
}

// logAccess writes the line of a request that ended at end.
func (p *Proxy) logAccess(al *accessLog, o *observation, r *http.Request, status int, end time.Time, took time.Duration) {
	if status < 500 && al.sample < 1 && rand.Float64() >= al.sample {
		return
	}
	var slot, addr string
	if o.pool != nil {
		slot = o.pool.slot
	}
	if o.instance != nil {
		addr = o.instance.addr
	}
	// One AddAttrs call with every attribute: the record then grows its
	// storage once.
	attrs := append(make([]slog.Attr, 0, 15),
		slog.String("remote", clientIP(r.RemoteAddr)),
		slog.String("method", r.Method),
		slog.String("host", r.Host),
		slog.String("uri", r.RequestURI),
		slog.String("proto", r.Proto),
		slog.Int("status", status),
		slog.Int64("bytes", o.rec.bytes),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		slog.String("service", o.service),
		slog.String("slot", slot),
		slog.String("instance", addr),
	)
	if o.preview {
		attrs = append(attrs, slog.Bool("preview", true))
	}
	if o.cache != httpcache.Bypass {
		attrs = append(attrs, slog.String("cache", o.cache.String()))
	}
	attrs = append(attrs, slog.String("user_agent", r.UserAgent()))
	if ref := r.Referer(); ref != "" {
		attrs = append(attrs, slog.String("referer", ref))
	}
	line := slog.NewRecord(end.UTC(), slog.LevelInfo, "", 0)
	line.AddAttrs(attrs...)
	if err := al.h.Handle(context.Background(), line); err != nil {
		if !al.failing.Swap(true) {
			p.log.Error("access log write failed; requests are served but not logged until a write succeeds", "err", err)
		}
		return
	}
	if al.failing.Load() && al.failing.CompareAndSwap(true, false) {
		p.log.Info("access log writes succeed again")
	}
}

// clientIP returns the address of the peer without its port.
func clientIP(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}
