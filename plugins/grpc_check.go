package plugins

import (
	"context"

	"google.golang.org/grpc"

	"deploy/plugins/proto/pluginv1"
)

// checkServer puts a plugin author's Checker on the wire.
type checkServer struct {
	pluginv1.UnimplementedCheckServiceServer
	impl Checker
}

func registerChecker(impl Checker) func(*grpc.Server) {
	return func(s *grpc.Server) { pluginv1.RegisterCheckServiceServer(s, &checkServer{impl: impl}) }
}

func (s *checkServer) Info(ctx context.Context, _ *pluginv1.InfoRequest) (*pluginv1.InfoResponse, error) {
	in, err := s.impl.Info(ctx)
	if err != nil {
		return nil, pluginError(err)
	}
	return infoToProto(withKind(in, KindCheck)), nil
}

func (s *checkServer) ConfigSchema(ctx context.Context, _ *pluginv1.ConfigSchemaRequest) (*pluginv1.ConfigSchemaResponse, error) {
	sc, err := s.impl.ConfigSchema(ctx)
	if err != nil {
		return nil, pluginError(err)
	}
	return schemaToProto(sc), nil
}

func (s *checkServer) Check(ctx context.Context, req *pluginv1.CheckRequest) (*pluginv1.CheckResponse, error) {
	res, err := s.impl.Check(ctx, checkRequestFromProto(req))
	if err != nil {
		return nil, pluginError(err)
	}
	return checkResultToProto(res), nil
}

// checkClient speaks to a check plugin over one connection; it only
// translates, the host judges the answers.
type checkClient struct {
	rpc pluginv1.CheckServiceClient
}

func newCheckClient(r *remote) checkClient {
	return checkClient{rpc: pluginv1.NewCheckServiceClient(r.conn)}
}

func (c checkClient) Info(ctx context.Context) (Info, error) {
	resp, err := c.rpc.Info(ctx, &pluginv1.InfoRequest{}, callOptions...)
	if err != nil {
		return Info{}, err
	}
	return infoFromProto(resp), nil
}

func (c checkClient) ConfigSchema(ctx context.Context) (Schema, error) {
	resp, err := c.rpc.ConfigSchema(ctx, &pluginv1.ConfigSchemaRequest{}, callOptions...)
	if err != nil {
		return Schema{}, err
	}
	return schemaFromProto(resp), nil
}

func (c checkClient) Check(ctx context.Context, req CheckRequest) (CheckResult, error) {
	preq, err := checkRequestToProto(req)
	if err != nil {
		return CheckResult{}, requestError{err}
	}
	resp, err := c.rpc.Check(ctx, preq, callOptions...)
	if err != nil {
		return CheckResult{}, err
	}
	res, err := checkResultFromProto(resp)
	if err != nil {
		return CheckResult{}, refusal{err}
	}
	return res, nil
}
