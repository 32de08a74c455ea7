// Package plugins runs external stack drivers, checks and notifiers as
// separate binaries that speak gRPC through hashicorp/go-plugin.
//
// A plugin author implements one of Driver, Checker or Notifier and calls
// Serve from main. The deploy daemon reaches the binary through a Host,
// which launches it on first use, relaunches it after a crash, bounds every
// call with a timeout and checks every answer before anyone else sees it: a
// plugin is somebody else's code, so a broken or hostile one must fail the
// operation that used it, never the daemon.
package plugins

import (
	"context"
	"time"
)

// The kinds of plugin; a binary serves exactly one of them, and the kind is
// also the middle part of its file name (see Find).
const (
	KindDriver   = "driver"
	KindCheck    = "check"
	KindNotifier = "notifier"
)

// ProtocolVersions are the plugin protocol versions this host speaks;
// version 2 can be added without breaking version 1 plugins (go-plugin
// VersionedPlugins).
var ProtocolVersions = []int{1}

// Info describes a plugin to the people running it (`deploy plugins`).
type Info struct {
	Name, Kind, Version, Description string
}

// Attribute is one setting a plugin accepts in its config; Type is
// "string", "number", "bool", "list(string)" or "map(string)".
type Attribute struct {
	Name, Type, Description string
	Required                bool
}

// Schema lists the settings a plugin accepts, so that the host can check a
// configuration (with file and line) before the plugin ever sees it.
type Schema struct {
	Attributes []Attribute
}

// File is one file a driver renders into a stack directory.
type File struct {
	Path string // relative to the stack dir, clean, never leaving it
	Mode uint32 // permission bits only (0o777 at most); 0 means 0o644
	Data []byte
}

// InstanceContext is what a driver knows about one instance of a stack.
type InstanceContext struct {
	Index, Port        int
	VarDir, ClientName string
}

// StackContext is what a driver knows about the stack it renders or runs.
type StackContext struct {
	Service, Slot, Release, StackDir string
	ZEOAddress                       string
	ZEOStorages                      []string
	Instances                        []InstanceContext
	// Config holds the plugin's settings, already validated by the host
	// against ConfigSchema; JSON-compatible values (a plugin receives
	// numbers as float64, lists as []any and maps as map[string]any).
	Config map[string]any
}

// Driver renders a stack's files and says how to run each instance.
type Driver interface {
	Info(ctx context.Context) (Info, error)
	ConfigSchema(ctx context.Context) (Schema, error)
	Render(ctx context.Context, stack StackContext) ([]File, error)
	Command(ctx context.Context, stack StackContext, in InstanceContext) (argv []string, env map[string]string, err error)
}

// CheckTarget is one address a check probes, with a label for messages.
type CheckTarget struct {
	Label, Addr string
}

// CheckRequest asks a check plugin to judge a slot.
type CheckRequest struct {
	Service, Slot string
	Targets       []CheckTarget
	Config        map[string]any
}

// CheckResult is a check plugin's verdict. A failed check is OK == false
// with a Message, not an error: errors are for checks that could not run.
type CheckResult struct {
	OK       bool
	Message  string
	Duration time.Duration // 0 from the plugin means the host fills in how long the call took
	Details  map[string]string
}

// Checker judges whether a slot is fit to receive traffic.
type Checker interface {
	Info(ctx context.Context) (Info, error)
	ConfigSchema(ctx context.Context) (Schema, error)
	Check(ctx context.Context, req CheckRequest) (CheckResult, error)
}

// Notifier tells the outside world about deployment events.
type Notifier interface {
	Info(ctx context.Context) (Info, error)
	ConfigSchema(ctx context.Context) (Schema, error)
	// Notify sends one event; event is the JSON event.
	Notify(ctx context.Context, event []byte, config map[string]any) error
}
