package plugins

import (
	"context"

	"google.golang.org/grpc"

	"deploy/plugins/proto/pluginv1"
)

// driverServer puts a plugin author's Driver on the wire.
type driverServer struct {
	pluginv1.UnimplementedDriverServiceServer
	impl Driver
}

func registerDriver(impl Driver) func(*grpc.Server) {
	return func(s *grpc.Server) { pluginv1.RegisterDriverServiceServer(s, &driverServer{impl: impl}) }
}

func (s *driverServer) Info(ctx context.Context, _ *pluginv1.InfoRequest) (*pluginv1.InfoResponse, error) {
	in, err := s.impl.Info(ctx)
	if err != nil {
		return nil, pluginError(err)
	}
	return infoToProto(withKind(in, KindDriver)), nil
}

func (s *driverServer) ConfigSchema(ctx context.Context, _ *pluginv1.ConfigSchemaRequest) (*pluginv1.ConfigSchemaResponse, error) {
	sc, err := s.impl.ConfigSchema(ctx)
	if err != nil {
		return nil, pluginError(err)
	}
	return schemaToProto(sc), nil
}

func (s *driverServer) Render(ctx context.Context, req *pluginv1.RenderRequest) (*pluginv1.RenderResponse, error) {
	files, err := s.impl.Render(ctx, stackFromProto(req.GetStack()))
	if err != nil {
		return nil, pluginError(err)
	}
	return &pluginv1.RenderResponse{Files: filesToProto(files)}, nil
}

func (s *driverServer) Command(ctx context.Context, req *pluginv1.CommandRequest) (*pluginv1.CommandResponse, error) {
	argv, env, err := s.impl.Command(ctx, stackFromProto(req.GetStack()), instanceFromProto(req.GetInstance()))
	if err != nil {
		return nil, pluginError(err)
	}
	return &pluginv1.CommandResponse{Argv: argv, Env: env}, nil
}

// driverClient speaks to a driver over one connection. It only translates;
// the host checks what comes back (see guard.go).
type driverClient struct {
	rpc pluginv1.DriverServiceClient
}

func newDriverClient(r *remote) driverClient {
	return driverClient{rpc: pluginv1.NewDriverServiceClient(r.conn)}
}

func (c driverClient) Info(ctx context.Context) (Info, error) {
	resp, err := c.rpc.Info(ctx, &pluginv1.InfoRequest{}, callOptions...)
	if err != nil {
		return Info{}, err
	}
	return infoFromProto(resp), nil
}

func (c driverClient) ConfigSchema(ctx context.Context) (Schema, error) {
	resp, err := c.rpc.ConfigSchema(ctx, &pluginv1.ConfigSchemaRequest{}, callOptions...)
	if err != nil {
		return Schema{}, err
	}
	return schemaFromProto(resp), nil
}

func (c driverClient) Render(ctx context.Context, stack StackContext) ([]File, error) {
	ps, err := stackToProto(stack)
	if err != nil {
		return nil, requestError{err}
	}
	resp, err := c.rpc.Render(ctx, &pluginv1.RenderRequest{Stack: ps}, callOptions...)
	if err != nil {
		return nil, err
	}
	return filesFromProto(resp.GetFiles()), nil
}

func (c driverClient) Command(ctx context.Context, stack StackContext, in InstanceContext) ([]string, map[string]string, error) {
	ps, err := stackToProto(stack)
	if err != nil {
		return nil, nil, requestError{err}
	}
	resp, err := c.rpc.Command(ctx, &pluginv1.CommandRequest{Stack: ps, Instance: instanceToProto(in)}, callOptions...)
	if err != nil {
		return nil, nil, err
	}
	return resp.GetArgv(), resp.GetEnv(), nil
}
