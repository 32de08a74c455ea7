package plugins

import (
	"context"

	"google.golang.org/grpc"

	"deploy/plugins/proto/pluginv1"
)

// notifierServer puts a plugin author's Notifier on the wire.
type notifierServer struct {
	pluginv1.UnimplementedNotifierServiceServer
	impl Notifier
}

func registerNotifier(impl Notifier) func(*grpc.Server) {
	return func(s *grpc.Server) { pluginv1.RegisterNotifierServiceServer(s, &notifierServer{impl: impl}) }
}

func (s *notifierServer) Info(ctx context.Context, _ *pluginv1.InfoRequest) (*pluginv1.InfoResponse, error) {
	in, err := s.impl.Info(ctx)
	if err != nil {
		return nil, pluginError(err)
	}
	return infoToProto(withKind(in, KindNotifier)), nil
}

func (s *notifierServer) ConfigSchema(ctx context.Context, _ *pluginv1.ConfigSchemaRequest) (*pluginv1.ConfigSchemaResponse, error) {
	sc, err := s.impl.ConfigSchema(ctx)
	if err != nil {
		return nil, pluginError(err)
	}
	return schemaToProto(sc), nil
}

func (s *notifierServer) Notify(ctx context.Context, req *pluginv1.NotifyRequest) (*pluginv1.NotifyResponse, error) {
	if err := s.impl.Notify(ctx, req.GetEvent(), configFromProto(req.GetConfig())); err != nil {
		return nil, pluginError(err)
	}
	return &pluginv1.NotifyResponse{}, nil
}

// notifierClient speaks to a notifier over one connection; it only
// translates, the host judges the answers.
type notifierClient struct {
	rpc pluginv1.NotifierServiceClient
}

func newNotifierClient(r *remote) notifierClient {
	return notifierClient{rpc: pluginv1.NewNotifierServiceClient(r.conn)}
}

func (c notifierClient) Info(ctx context.Context) (Info, error) {
	resp, err := c.rpc.Info(ctx, &pluginv1.InfoRequest{}, callOptions...)
	if err != nil {
		return Info{}, err
	}
	return infoFromProto(resp), nil
}

func (c notifierClient) ConfigSchema(ctx context.Context) (Schema, error) {
	resp, err := c.rpc.ConfigSchema(ctx, &pluginv1.ConfigSchemaRequest{}, callOptions...)
	if err != nil {
		return Schema{}, err
	}
	return schemaFromProto(resp), nil
}

func (c notifierClient) Notify(ctx context.Context, event []byte, config map[string]any) error {
	cfg, err := configToProto(config)
	if err != nil {
		return requestError{err}
	}
	_, err = c.rpc.Notify(ctx, &pluginv1.NotifyRequest{Event: event, Config: cfg}, callOptions...)
	return err
}
