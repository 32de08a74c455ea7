package plugins

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Serve runs a plugin binary's main loop: impl implements exactly one of
// Driver, Checker, Notifier. It never returns normally.
//
// The plugin's slog and log output goes to the host's log, at its own
// level, tagged with the plugin's name. Run by hand rather than by deploy,
// the binary says it is a plugin and exits 1.
func Serve(impl any) {
	kind, register, err := servable(impl)
	if err != nil {
		fmt.Fprintf(os.Stderr, "deploy plugin: %v\n", err)
		os.Exit(1)
	}
	// go-plugin replaces os.Stderr with a pipe once serving; logs go to the
	// real stderr, which the host reads line by line as JSON.
	stderr := os.Stderr
	slog.SetDefault(slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: hclogKeys})))
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  handshake,
		VersionedPlugins: map[int]plugin.PluginSet{1: {kind: grpcPlugin{register: register}}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(maxRequestBytes))...)
		},
		// go-plugin's own chatter only when something is wrong.
		Logger: hclog.New(&hclog.LoggerOptions{Name: "go-plugin", Level: hclog.Warn, Output: stderr, JSONFormat: true}),
	})
	os.Exit(0)
}

// servable picks the one kind impl serves. A type with the methods of two
// kinds is refused rather than guessed at: which service the host reaches
// must not depend on the order of a type switch.
func servable(impl any) (string, func(*grpc.Server), error) {
	var kinds []string
	var register func(*grpc.Server)
	if d, ok := impl.(Driver); ok {
		kinds, register = append(kinds, "Driver"), registerDriver(d)
	}
	if c, ok := impl.(Checker); ok {
		kinds, register = append(kinds, "Checker"), registerChecker(c)
	}
	if n, ok := impl.(Notifier); ok {
		kinds, register = append(kinds, "Notifier"), registerNotifier(n)
	}
	switch len(kinds) {
	case 0:
		return "", nil, fmt.Errorf("%T implements none of Driver, Checker, Notifier", impl)
	case 1:
		return map[string]string{"Driver": KindDriver, "Checker": KindCheck, "Notifier": KindNotifier}[kinds[0]], register, nil
	}
	return "", nil, fmt.Errorf("%T implements %s; a plugin serves exactly one (wrap it in a struct that embeds only that interface)", impl, strings.Join(kinds, " and "))
}

// pluginError carries a plugin's own error to the host with one code, so
// that the host can tell it from gRPC's transport errors whatever code the
// plugin's libraries put on it.
func pluginError(err error) error {
	return status.Error(codes.Unknown, err.Error())
}

// withKind fills in the kind an author left empty: the binary serves
// exactly one, so there is no doubt which.
func withKind(in Info, kind string) Info {
	if in.Kind == "" {
		in.Kind = kind
	}
	return in
}

// hclogKeys writes slog records in hclog's JSON shape (@level, @message,
// @timestamp), the shape plugin hosts read.
func hclogKeys(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		return slog.String("@level", strings.ToLower(a.Value.String()))
	case slog.MessageKey:
		return slog.Attr{Key: "@message", Value: a.Value}
	case slog.TimeKey:
		return slog.Attr{Key: "@timestamp", Value: a.Value}
	}
	return a
}
