package proxy

import (
	"context"
	"log/slog"
	"strings"
)

// handshakeQuiet lowers net/http's "TLS handshake error" lines to debug and
// passes every other server error on at its own level.
type handshakeQuiet struct{ slog.Handler }

func (h handshakeQuiet) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "TLS handshake error") {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h handshakeQuiet) WithAttrs(as []slog.Attr) slog.Handler {
	return handshakeQuiet{h.Handler.WithAttrs(as)}
}

func (h handshakeQuiet) WithGroup(name string) slog.Handler {
	return handshakeQuiet{h.Handler.WithGroup(name)}
}
