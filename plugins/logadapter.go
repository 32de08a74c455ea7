package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// hclogAdapter lets go-plugin, which speaks hclog, log through the host's
// slog logger. Its own messages go out at Debug: the host logs the events
// that matter (started, exited, stopped) itself, in its own words.
//
// GetLevel answers Off on purpose. go-plugin then skips its own parsing of
// plugin stderr, whose JSON decoding panics on a line such as
// {"@message": 1} and would take the daemon down with it; pluginOutput reads
// those lines instead, from ClientConfig.Stderr.
type hclogAdapter struct {
	log     *slog.Logger
	name    string
	implied []any
}

func newHCLogAdapter(log *slog.Logger) hclog.Logger { return &hclogAdapter{log: log} }

func (a *hclogAdapter) Log(_ hclog.Level, msg string, args ...any) {
	args = append(slices.Clone(a.implied), args...)
	for i := 0; i < len(args); i += 2 {
		if args[i] == "plugin" { // go-plugin's name for the binary's path; ours is the plugin's name
			args[i] = "binary"
		}
	}
	if a.name != "" {
		args = append(args, "logger", a.name)
	}
	a.log.Debug(msg, args...)
}
func (a *hclogAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *hclogAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *hclogAdapter) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *hclogAdapter) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *hclogAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }
func (a *hclogAdapter) IsTrace() bool                 { return a.enabled() }
func (a *hclogAdapter) IsDebug() bool                 { return a.enabled() }
func (a *hclogAdapter) IsInfo() bool                  { return a.enabled() }
func (a *hclogAdapter) IsWarn() bool                  { return a.enabled() }
func (a *hclogAdapter) IsError() bool                 { return a.enabled() }
func (a *hclogAdapter) ImpliedArgs() []any            { return a.implied }
func (a *hclogAdapter) Name() string                  { return a.name }
func (a *hclogAdapter) SetLevel(hclog.Level)          {}
func (a *hclogAdapter) GetLevel() hclog.Level         { return hclog.Off }

func (a *hclogAdapter) enabled() bool { return a.log.Enabled(context.Background(), slog.LevelDebug) }

func (a *hclogAdapter) With(args ...any) hclog.Logger {
	return &hclogAdapter{log: a.log, name: a.name, implied: append(slices.Clone(a.implied), args...)}
}

func (a *hclogAdapter) Named(name string) hclog.Logger {
	if a.name != "" {
		name = a.name + "." + name
	}
	return &hclogAdapter{log: a.log, name: name, implied: a.implied}
}

func (a *hclogAdapter) ResetNamed(name string) hclog.Logger {
	return &hclogAdapter{log: a.log, name: name, implied: a.implied}
}

func (a *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(opts), "", 0)
}

func (a *hclogAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return newLineWriter(func(line string) { a.log.Debug(line) })
}

// pluginOutput turns what a plugin writes into host log lines tagged with
// the plugin (the logger carries plugin=<name>), and remembers its last
// words for the error that reports its exit.
type pluginOutput struct {
	log *slog.Logger

	stderr, syncStdout, syncStderr io.Writer

	mu       sync.Mutex
	panicked string // the first "panic:" or "fatal error:" line
	last     string // the last line that says something
}

func newPluginOutput(log *slog.Logger) *pluginOutput {
	o := &pluginOutput{log: log}
	o.stderr = newLineWriter(o.stderrLine)
	o.syncStdout = newLineWriter(func(line string) { o.plainLine("stdout", line) })
	o.syncStderr = newLineWriter(func(line string) { o.plainLine("stderr", line) })
	return o
}

// stderrLine takes one line of the process's own stderr: JSON log records
// from Serve's logger, or anything the runtime prints (a panic, say).
func (o *pluginOutput) stderrLine(line string) {
	if strings.HasPrefix(line, "{") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil {
			o.record(rec)
			return
		}
	}
	o.plainLine("stderr", line)
}

// record logs one JSON log record at its own level. The record is the
// plugin's, so nothing in it is assumed: any field may be of any type, and
// fields that would pass for the host's own are renamed.
func (o *pluginOutput) record(rec map[string]any) {
	msg := fmt.Sprint(rec["@message"])
	if s, ok := rec["@message"].(string); ok {
		msg = s
	}
	level := slog.LevelInfo
	switch lv, _ := rec["@level"].(string); strings.ToLower(lv) {
	case "trace", "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	keys := make([]string, 0, len(rec))
	for k := range rec {
		if !strings.HasPrefix(k, "@") || k == "@module" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		name := strings.TrimPrefix(k, "@")
		if slices.Contains([]string{"plugin", "kind", "stream", slog.TimeKey, slog.LevelKey, slog.MessageKey}, name) {
			name = "plugin_" + name
		}
		args = append(args, name, rec[k])
	}
	o.log.Log(context.Background(), level, msg, args...)
	if level >= slog.LevelError {
		o.remember(msg)
	}
}

// plainLine logs a line that is not a log record. Plain output is rare in a
// plugin and usually matters, so it is logged at Info; a Go panic at Error,
// as one event, with the goroutine trace after it at Debug.
func (o *pluginOutput) plainLine(stream, line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	level := slog.LevelInfo
	o.mu.Lock()
	switch {
	case o.panicked == "" && (strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ")):
		o.panicked, level = line, slog.LevelError
	case o.panicked != "":
		level = slog.LevelDebug
	}
	o.mu.Unlock()
	o.log.Log(context.Background(), level, line, "stream", stream)
	if !strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, "goroutine ") {
		o.remember(line)
	}
}

func (o *pluginOutput) remember(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last = line
}

// lastWords is what the plugin said last before it died: its panic if it
// panicked, else its last error or line.
func (o *pluginOutput) lastWords() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.panicked != "" {
		return printable(o.panicked)
	}
	return printable(o.last)
}

// lineWriter hands complete lines to emit, whoever writes and however the
// writes are cut. A line longer than maxLogLineBytes is cut there, so a
// plugin cannot make the host buffer without bound.
type lineWriter struct {
	mu        sync.Mutex
	buf       []byte
	truncated bool
	emit      func(string)
}

func newLineWriter(emit func(string)) *lineWriter { return &lineWriter{emit: emit} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if room := maxLogLineBytes - len(w.buf); len(chunk) > room {
			chunk, w.truncated = chunk[:room], true
		}
		w.buf = append(w.buf, chunk...)
		if i < 0 {
			break
		}
		w.flush()
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) flush() {
	line := strings.ToValidUTF8(strings.TrimRight(string(w.buf), "\r"), "\uFFFD")
	if w.truncated {
		line += " [cut]"
	}
	w.buf, w.truncated = w.buf[:0], false
	w.emit(line)
}
