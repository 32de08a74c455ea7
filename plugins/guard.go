package plugins

import (
	"context"
	"time"
)

// The values Host.Driver, Host.Checker and Host.Notifier return. Each call
// goes through managed.call (launch, timeout, crash handling) and its
// answer through validate.go before the caller sees it.

// describer is the part every kind's client shares.
type describer interface {
	Info(ctx context.Context) (Info, error)
	ConfigSchema(ctx context.Context) (Schema, error)
}

func clientFor(kind string, r *remote) describer {
	switch kind {
	case KindDriver:
		return newDriverClient(r)
	case KindCheck:
		return newCheckClient(r)
	}
	return newNotifierClient(r)
}

func (m *managed) info(ctx context.Context, kind string) (Info, error) {
	var out Info
	err := m.call(ctx, kind, "Info", func(ctx context.Context, r *remote) error {
		in, err := clientFor(kind, r).Info(ctx)
		if err != nil {
			return err
		}
		if out, err = validateInfo(in, kind); err != nil {
			return refusal{err}
		}
		return nil
	})
	return out, err
}

func (m *managed) schema(ctx context.Context, kind string) (Schema, error) {
	var out Schema
	err := m.call(ctx, kind, "ConfigSchema", func(ctx context.Context, r *remote) error {
		s, err := clientFor(kind, r).ConfigSchema(ctx)
		if err != nil {
			return err
		}
		if err := validateSchema(s); err != nil {
			return refusal{err}
		}
		out = s
		return nil
	})
	return out, err
}

type guardedDriver struct{ m *managed }

func (g guardedDriver) Info(ctx context.Context) (Info, error) { return g.m.info(ctx, KindDriver) }

func (g guardedDriver) ConfigSchema(ctx context.Context) (Schema, error) {
	return g.m.schema(ctx, KindDriver)
}

func (g guardedDriver) Render(ctx context.Context, stack StackContext) ([]File, error) {
	var out []File
	err := g.m.call(ctx, KindDriver, "Render", func(ctx context.Context, r *remote) error {
		files, err := newDriverClient(r).Render(ctx, stack)
		if err != nil {
			return err
		}
		if out, err = validateFiles(files); err != nil {
			return refusal{err}
		}
		return nil
	})
	return out, err
}

func (g guardedDriver) Command(ctx context.Context, stack StackContext, in InstanceContext) ([]string, map[string]string, error) {
	var argv []string
	var env map[string]string
	err := g.m.call(ctx, KindDriver, "Command", func(ctx context.Context, r *remote) error {
		a, e, err := newDriverClient(r).Command(ctx, stack, in)
		if err != nil {
			return err
		}
		if err := validateCommand(a, e); err != nil {
			return refusal{err}
		}
		argv, env = a, e
		return nil
	})
	return argv, env, err
}

type guardedChecker struct{ m *managed }

func (g guardedChecker) Info(ctx context.Context) (Info, error) { return g.m.info(ctx, KindCheck) }

func (g guardedChecker) ConfigSchema(ctx context.Context) (Schema, error) {
	return g.m.schema(ctx, KindCheck)
}

func (g guardedChecker) Check(ctx context.Context, req CheckRequest) (CheckResult, error) {
	var out CheckResult
	err := g.m.call(ctx, KindCheck, "Check", func(ctx context.Context, r *remote) error {
		start := time.Now()
		res, err := newCheckClient(r).Check(ctx, req)
		if err != nil {
			return err
		}
		if err := validateCheckResult(res); err != nil {
			return refusal{err}
		}
		if res.Duration == 0 {
			res.Duration = time.Since(start)
		}
		out = res
		return nil
	})
	return out, err
}

type guardedNotifier struct{ m *managed }

func (g guardedNotifier) Info(ctx context.Context) (Info, error) { return g.m.info(ctx, KindNotifier) }

func (g guardedNotifier) ConfigSchema(ctx context.Context) (Schema, error) {
	return g.m.schema(ctx, KindNotifier)
}

func (g guardedNotifier) Notify(ctx context.Context, event []byte, config map[string]any) error {
	return g.m.call(ctx, KindNotifier, "Notify", func(ctx context.Context, r *remote) error {
		return newNotifierClient(r).Notify(ctx, event, config)
	})
}
