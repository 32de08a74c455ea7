package plugins

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Spec says where a plugin binary is and how far it is trusted.
type Spec struct {
	Name, Kind, Path string
	SHA256           []byte        // optional pin, checked by go-plugin SecureConfig before every launch
	Timeout          time.Duration // per call; default 30s
}

// label names a plugin in every error and log line about it.
func (s Spec) label() string { return fmt.Sprintf("plugin %q (%s)", s.Name, s.Kind) }

func (s Spec) timeout() time.Duration {
	if s.Timeout <= 0 {
		return defaultTimeout
	}
	return s.Timeout
}

// PluginStatus is one plugin as `deploy plugins` shows it.
type PluginStatus struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Path      string `json:"path"`
	Protocol  int    `json:"protocol,omitempty"` // negotiated version, 0 if never launched
	Pinned    bool   `json:"pinned"`             // a sha256 is configured
	Running   bool   `json:"running"`
	LastError string `json:"last_error,omitempty"`
}

// Host launches and talks to plugin binaries. It never trusts them: every
// call is bounded by the plugin's timeout, every answer is checked, and a
// plugin that crashes or hangs fails the call that used it and is started
// again on next use. A Host is safe for concurrent use; concurrent calls to
// one plugin share one process.
type Host struct {
	log *slog.Logger

	mu      sync.Mutex
	plugins map[pluginKey]*managed
	closed  bool
	stops   sync.WaitGroup // processes being stopped in the background
}

type pluginKey struct{ name, kind string }

// NewHost returns a Host that logs plugin events and plugin output to log
// (nil discards them).
func NewHost(log *slog.Logger) *Host {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Host{log: log, plugins: map[pluginKey]*managed{}}
}

// Driver returns the driver spec describes. The returned value launches the
// plugin on first use and again after a crash.
func (h *Host) Driver(spec Spec) Driver { return guardedDriver{h.managed(spec, KindDriver)} }

// Checker returns the check plugin spec describes, launched on first use.
func (h *Host) Checker(spec Spec) Checker { return guardedChecker{h.managed(spec, KindCheck)} }

// Notifier returns the notifier spec describes, launched on first use.
func (h *Host) Notifier(spec Spec) Notifier { return guardedNotifier{h.managed(spec, KindNotifier)} }

// Probe launches the plugin (or reuses its process) and asks for its Info:
// the health check behind `deploy plugins`.
func (h *Host) Probe(ctx context.Context, spec Spec) (Info, error) {
	switch spec.Kind {
	case KindDriver:
		return h.Driver(spec).Info(ctx)
	case KindCheck:
		return h.Checker(spec).Info(ctx)
	case KindNotifier:
		return h.Notifier(spec).Info(ctx)
	}
	return Info{}, fmt.Errorf("%s: kind %q is not one of %s, %s, %s", spec.label(), spec.Kind, KindDriver, KindCheck, KindNotifier)
}

// Status reports every plugin the host was asked for, sorted by name.
func (h *Host) Status() []PluginStatus {
	h.mu.Lock()
	all := make([]*managed, 0, len(h.plugins))
	for _, m := range h.plugins {
		all = append(all, m)
	}
	h.mu.Unlock()
	out := make([]PluginStatus, 0, len(all))
	for _, m := range all {
		out = append(out, m.status())
	}
	slices.SortFunc(out, func(a, b PluginStatus) int {
		return cmpOr(strings.Compare(a.Name, b.Name), strings.Compare(a.Kind, b.Kind))
	})
	return out
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// Close kills every plugin process and waits until they are gone. Calls
// after Close fail.
func (h *Host) Close() {
	h.mu.Lock()
	h.closed = true
	all := make([]*managed, 0, len(h.plugins))
	for _, m := range h.plugins {
		all = append(all, m)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, m := range all {
		if inst := m.takeLive(); inst != nil {
			wg.Go(func() { inst.stop(false) })
		}
	}
	wg.Wait()
	h.stops.Wait()
}

func (h *Host) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// background runs f (stopping a process) without holding up the call that
// gave up on it; Close waits for it. Once closed, f runs at once instead,
// so that no Add can race Close's Wait.
func (h *Host) background(f func()) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		f()
		return
	}
	h.stops.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.stops.Done()
		f()
	}()
}

// managed returns the one record of a plugin, creating it on first ask. A
// spec whose binary or pin changed (a configuration reload) replaces the
// old one, and the old process is stopped so that the next call launches
// the new binary.
func (h *Host) managed(spec Spec, kind string) *managed {
	if spec.Kind == "" {
		spec.Kind = kind
	}
	h.mu.Lock()
	k := pluginKey{spec.Name, spec.Kind}
	m := h.plugins[k]
	if m == nil {
		m = &managed{host: h, spec: spec}
		h.plugins[k] = m
		h.mu.Unlock()
		return m
	}
	h.mu.Unlock()
	m.mu.Lock()
	old := m.live
	changed := m.spec.Path != spec.Path || !bytes.Equal(m.spec.SHA256, spec.SHA256)
	m.spec = spec
	if changed {
		m.live = nil
	}
	m.mu.Unlock()
	if changed && old != nil {
		h.background(func() { old.stop(false) })
	}
	return m
}

// managed is one configured plugin: its spec and, while it runs, its
// process.
type managed struct {
	host *Host

	// launching is held while a process starts, so that concurrent first
	// calls wait for one process instead of starting many; mu guards the
	// fields below and is never held for long, so Status never waits for a
	// launch. Lock order: launching, mu, then Host.mu.
	launching sync.Mutex
	mu        sync.Mutex
	spec      Spec
	live      *instance
	protocol  int
	lastErr   string
}

func (m *managed) status() PluginStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return PluginStatus{
		Name: m.spec.Name, Kind: m.spec.Kind, Path: m.spec.Path,
		Protocol: m.protocol, Pinned: len(m.spec.SHA256) > 0,
		Running: m.live != nil && !m.live.exitedNow(), LastError: m.lastErr,
	}
}

// get returns the running instance, launching one when there is none or
// the last one died between calls.
func (m *managed) get() (*instance, Spec, error) {
	if inst, spec := m.current(); inst != nil {
		return inst, spec, nil
	}
	m.launching.Lock()
	defer m.launching.Unlock()
	inst, spec := m.current() // another call may have launched it meanwhile
	if inst != nil {
		return inst, spec, nil
	}
	if m.host.isClosed() {
		return nil, spec, fmt.Errorf("%s: the plugin host is closed", spec.label())
	}
	inst, err := m.host.launch(spec)
	if err == nil && m.host.isClosed() { // Close came while it started
		inst.stop(false)
		err = fmt.Errorf("%s: the plugin host is closed", spec.label())
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.lastErr = err.Error()
		return nil, spec, err
	}
	m.live, m.protocol = inst, inst.protocol
	return inst, spec, nil
}

func (m *managed) currentSpec() Spec {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.spec
}

// current returns the live instance if its process still runs; one that
// died between calls is let go here, so that the caller launches anew.
func (m *managed) current() (*instance, Spec) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live == nil || !m.live.exitedNow() {
		return m.live, m.spec
	}
	dead := m.live
	m.live = nil
	m.host.log.Warn("plugin exited while idle", "plugin", m.spec.Name, "kind", m.spec.Kind, "pid", dead.pid, "exit", dead.exitReport())
	m.host.background(func() { dead.stop(false) })
	return nil, m.spec
}

// retire forgets inst, if it is still the live one, and stops its process;
// hard kills at once, for a plugin that cannot be asked nicely.
func (m *managed) retire(inst *instance, hard bool) {
	m.mu.Lock()
	if m.live == inst {
		m.live = nil
	}
	m.mu.Unlock()
	m.host.background(func() { inst.stop(hard) })
}

func (m *managed) takeLive() *instance {
	m.mu.Lock()
	defer m.mu.Unlock()
	inst := m.live
	m.live = nil
	return inst
}

// note keeps the outcome of a call for Status: the last error, cleared by
// the next success.
func (m *managed) note(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.lastErr = err.Error()
	} else {
		m.lastErr = ""
	}
}
