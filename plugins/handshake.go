package plugins

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// handshake is what host and plugin must agree on before anything else.
// The cookie is no security (go-plugin says so): it only makes a plugin
// binary run by hand say what it is instead of waiting for a host. The
// protocol version is negotiated separately through VersionedPlugins.
var handshake = plugin.HandshakeConfig{
	MagicCookieKey:   "DEPLOY_PLUGIN",
	MagicCookieValue: "6f1d8f4e2b9a4c07a3e5d1c9b8f27e40",
}

// hostPluginSets is what the host offers for each protocol version it
// speaks (ProtocolVersions). A version 2 gets its own entry here, with its
// own glue, and version 1 plugins keep working beside it.
func hostPluginSets() map[int]plugin.PluginSet {
	v1 := plugin.PluginSet{KindDriver: grpcPlugin{}, KindCheck: grpcPlugin{}, KindNotifier: grpcPlugin{}}
	return map[int]plugin.PluginSet{1: v1}
}

// grpcPlugin is the go-plugin glue shared by every kind. On the plugin side
// register puts the author's implementation on the gRPC server; on the host
// side it hands out the connection as a *remote, and the host picks the
// service that matches the kind it asked for.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	register func(*grpc.Server)
}

// GRPCServer implements plugin.GRPCPlugin.
func (p grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.register == nil {
		return errors.New("no implementation to serve")
	}
	p.register(s)
	return nil
}

// GRPCClient implements plugin.GRPCPlugin. go-plugin cancels ctx when the
// plugin process has exited; the host keeps it to tell a crash from a lost
// connection.
func (grpcPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &remote{conn: conn, exited: ctx.Done()}, nil
}

// remote is one launched plugin as the host sees it.
type remote struct {
	conn   *grpc.ClientConn
	exited <-chan struct{}
}

// callOptions apply to every call the host makes: answers up to
// maxAnswerBytes arrive, bigger ones fail in gRPC with a clear code.
var callOptions = []grpc.CallOption{grpc.MaxCallRecvMsgSize(maxAnswerBytes)}
