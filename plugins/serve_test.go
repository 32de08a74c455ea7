package plugins

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

type allKinds struct{}

func (allKinds) Info(context.Context) (Info, error)                   { return Info{}, nil }
func (allKinds) ConfigSchema(context.Context) (Schema, error)         { return Schema{}, nil }
func (allKinds) Render(context.Context, StackContext) ([]File, error) { return nil, nil }
func (allKinds) Command(context.Context, StackContext, InstanceContext) ([]string, map[string]string, error) {
	return nil, nil, nil
}
func (allKinds) Check(context.Context, CheckRequest) (CheckResult, error) { return CheckResult{}, nil }
func (allKinds) Notify(context.Context, []byte, map[string]any) error     { return nil }

func TestServe_ServesExactlyOneKind(t *testing.T) {
	for impl, want := range map[any]string{
		struct{ Driver }{allKinds{}}:   KindDriver,
		struct{ Checker }{allKinds{}}:  KindCheck,
		struct{ Notifier }{allKinds{}}: KindNotifier,
	} {
		kind, register, err := servable(impl)
		if err != nil || kind != want || register == nil {
			t.Errorf("%T: %q, %v; want %q", impl, kind, err, want)
		}
	}
	if _, _, err := servable(allKinds{}); err == nil || !strings.Contains(err.Error(), "implements Driver and Checker and Notifier; a plugin serves exactly one") {
		t.Errorf("all kinds: %v", err)
	}
	if _, _, err := servable(42); err == nil || !strings.Contains(err.Error(), "int implements none of Driver, Checker, Notifier") {
		t.Errorf("none: %v", err)
	}
}

func TestServe_LogsInTheShapeTheHostReads(t *testing.T) {
	var buf logBuffer
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: hclogKeys})).Warn("careful", "n", 1)
	logs := &logBuffer{}
	out := newPluginOutput(slog.New(slog.NewJSONHandler(logs, nil)))
	out.stderr.Write([]byte(buf.String()))
	if got := logs.String(); !strings.Contains(got, `"level":"WARN","msg":"careful","n":1`) {
		t.Errorf("host logged %s from %s", got, buf.String())
	}
}
