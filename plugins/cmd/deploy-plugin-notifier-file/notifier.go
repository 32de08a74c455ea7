package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"deploy/plugins"
)

// version is reported to the host in Info.
const version = "1.0.0"

// fileNotifier appends events to a file and/or posts them to a URL. It
// holds no state: everything it needs arrives with each call.
type fileNotifier struct{}

var _ plugins.Notifier = (*fileNotifier)(nil)

// Info names the notifier.
func (*fileNotifier) Info(context.Context) (plugins.Info, error) {
	return plugins.Info{
		Name:        "file",
		Kind:        plugins.KindNotifier,
		Version:     version,
		Description: "appends each event as one JSON line to a file and/or posts it to a URL",
	}, nil
}

// ConfigSchema describes the notifier's config. Neither attribute is
// required by the schema, since either will do; Notify refuses a config
// with neither.
func (*fileNotifier) ConfigSchema(context.Context) (plugins.Schema, error) {
	return plugins.Schema{Attributes: []plugins.Attribute{
		{Name: "path", Type: "string", Description: "absolute path of a file to append each event to, one JSON object a line; created 0640 if missing"},
		{Name: "url", Type: "string", Description: "http or https URL to post each event to as application/json"},
	}}, nil
}

// Notify delivers one event to every configured target. A target that
// fails does not keep the event from the other; the error names each
// failure.
func (*fileNotifier) Notify(ctx context.Context, event []byte, cfg map[string]any) error {
	s, err := parseSettings(cfg)
	if err != nil {
		return err
	}
	line, err := oneLine(event)
	if err != nil {
		return err
	}
	var errs []error
	if s.path != "" {
		if err := appendLine(s.path, line); err != nil {
			errs = append(errs, err)
		}
	}
	if s.url != "" {
		if err := post(ctx, s.url, line[:len(line)-1]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// oneLine returns event compacted onto one line and ended by a newline, so
// that every line of the file is one event whatever the host sent.
func oneLine(event []byte) ([]byte, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, event); err != nil {
		return nil, fmt.Errorf("event is not valid JSON: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
