package orchestrator

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"

	"deploy/config"
	"deploy/plugins"
)

// The built-in notifiers implement plugins.Notifier, like external ones, so
// that delivery has one path whoever implements the notifier.
var (
	_ plugins.Notifier = webhookNotifier{}
	_ plugins.Notifier = commandNotifier{}
)

// notifierFor returns a notify block's notifier and its settings.
func (c *Controller) notifierFor(ctx context.Context, n config.Notify) (plugins.Notifier, map[string]any, error) {
	switch {
	case n.Plugin != "":
		return c.parts.notifier(ctx, n)
	case n.Webhook != "":
		return webhookNotifier{url: n.Webhook}, nil, nil
	default:
		return commandNotifier{argv: n.Command, dir: filepath.Dir(c.conf().File)}, nil, nil
	}
}

// builtinSchema is the schema of a built-in part: its settings are the
// config block's own attributes, checked by the config package.
func builtinSchema(context.Context) (plugins.Schema, error) { return plugins.Schema{}, nil }

// webhookNotifier POSTs the event as JSON.
type webhookNotifier struct{ url string }

func (webhookNotifier) Info(context.Context) (plugins.Info, error) {
	return plugins.Info{Name: "webhook", Kind: plugins.KindNotifier, Description: "POSTs each event as JSON"}, nil
}

func (webhookNotifier) ConfigSchema(ctx context.Context) (plugins.Schema, error) {
	return builtinSchema(ctx)
}

func (w webhookNotifier) Notify(ctx context.Context, event []byte, _ map[string]any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(event))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "deploy")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// commandNotifier runs a command in the config file's directory with the
// event on stdin; a timeout kills its whole process group.
type commandNotifier struct {
	argv []string
	dir  string
}

func (commandNotifier) Info(context.Context) (plugins.Info, error) {
	return plugins.Info{Name: "command", Kind: plugins.KindNotifier, Description: "runs a command with the event on stdin"}, nil
}

func (commandNotifier) ConfigSchema(ctx context.Context) (plugins.Schema, error) {
	return builtinSchema(ctx)
}

func (n commandNotifier) Notify(ctx context.Context, event []byte, _ map[string]any) error {
	cmd := groupCommand(ctx, n.argv, n.dir)
	cmd.Stdin = bytes.NewReader(event)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if len(out) > 512 {
			out = out[len(out)-512:]
		}
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}
