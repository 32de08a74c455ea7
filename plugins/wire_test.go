package plugins

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// rawCodec lets a test server put any bytes on the wire, as a plugin
// written without protobuf-go's checks could.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// rawPlugin serves every method with answer, whatever is asked.
func rawPlugin(t *testing.T, answer []byte) *remote {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "plugin.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		var req []byte
		if err := stream.RecvMsg(&req); err != nil {
			return err
		}
		return stream.SendMsg(&answer)
	}))
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &remote{conn: conn, exited: make(chan struct{})}
}

// rawManaged is a plugin record whose live process is the raw server.
func rawManaged(t *testing.T, r *remote) *managed {
	h, _ := testHost(t)
	m := &managed{host: h, spec: Spec{Name: "raw", Kind: KindCheck, Path: "/raw"}}
	m.live = &instance{remote: r, cmd: &exec.Cmd{}, out: newPluginOutput(h.log)}
	t.Cleanup(func() { m.takeLive() }) // not a process: nothing for Close to stop
	return m
}

func TestWire_InvalidUTF8FromAPluginIsRefused(t *testing.T) {
	// CheckResponse{ok: true, message: "\xff\xfe"}, which protobuf-go would
	// never marshal.
	answer := protowire.AppendTag(nil, 1, protowire.VarintType)
	answer = protowire.AppendVarint(answer, 1)
	answer = protowire.AppendTag(answer, 2, protowire.BytesType)
	answer = protowire.AppendBytes(answer, []byte{0xff, 0xfe})
	m := rawManaged(t, rawPlugin(t, answer))
	_, err := guardedChecker{m}.Check(context.Background(), checkRequest("ok"))
	wantError(t, err, `plugin "raw" (check): Check answer refused: it holds text that is not valid UTF-8`)

	// A well-formed answer through the same path passes.
	good := protowire.AppendTag(nil, 1, protowire.VarintType)
	good = protowire.AppendVarint(good, 1)
	m = rawManaged(t, rawPlugin(t, good))
	if res, err := (guardedChecker{m}).Check(context.Background(), checkRequest("ok")); err != nil || !res.OK {
		t.Errorf("good answer: %+v, %v", res, err)
	}
}

func TestExplain_ErrorMessagesThatBreakTheRulesAreNotShown(t *testing.T) {
	m := rawManaged(t, rawPlugin(t, nil))
	ctx := context.Background()
	inst := m.live
	for msg, want := range map[string]string{
		"bad \xff":                  "Check failed, but its error message is not valid UTF-8, so it is not shown",
		strings.Repeat("e", 65<<10): "Check failed, but its error message has 66560 bytes, more than the 64 KiB allowed",
		"the backend said no":       "Check failed: the backend said no",
		"grpc: received message larger than max (1 vs. 0)": "Check failed: grpc: received message larger than max",
	} {
		code := codes.Unknown
		if strings.HasPrefix(msg, "grpc:") {
			code = codes.Internal // not ResourceExhausted: the plugin's own words
		}
		err := m.explain(ctx, ctx, m.spec, inst, "Check", status.Error(code, msg))
		wantError(t, err, `plugin "raw" (check): `+want)
	}
}
