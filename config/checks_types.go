package config

import (
	"regexp"
	"time"
)

// Check is one smoke check of a service. Exactly one of HTTP, TCP, ZEO,
// Command and Plugin is set. Checks run against every instance of a slot
// on its own port, and HTTP checks also through the proxy's preview route,
// so that routing and rewriting are checked too.
type Check struct {
	Name string
	HTTP *HTTPCheck
	TCP  bool // tcp {}: the instance accepts a connection
	// ZEO is zeo {}: the service's ZEO server serves every storage it
	// names (probed once per check, like zeoup).
	ZEO     bool
	Command []string // runs in the slot's stack dir; passes on exit status 0
	// Plugin names a plugin of kind PluginCheck that does the checking,
	// with the settings in PluginConfig (its Expr, nil when none).
	Plugin       string
	PluginConfig PluginSettings
	// Timeout bounds one attempt; default 5s.
	Timeout time.Duration
	// Retries is how many more attempts a failing check gets; default 2.
	Retries int
	// Interval is the pause between attempts; default 1s.
	Interval time.Duration
}

// HTTPCheck is a request and what its response must look like.
type HTTPCheck struct {
	Method string // default "GET"
	Path   string // starts with "/"; default "/"
	// Host is the Host header; default the service's first host, or
	// "localhost" for a default service without hosts.
	Host string
	// Status lists the accepted statuses; default 200-399.
	Status       []StatusRange
	BodyContains string         // "" means no body check
	BodyRegex    *regexp.Regexp // nil means no regex check
	// Headers maps a canonical header name to a regex its value must match.
	Headers map[string]*regexp.Regexp
	// MaxLatency fails a response slower than this; 0 means no limit.
	MaxLatency time.Duration
}

// StatusRange is an inclusive range of HTTP statuses; a single status has
// Lo == Hi.
type StatusRange struct{ Lo, Hi int }

// Accepts reports whether status falls in one of the ranges.
func Accepts(ranges []StatusRange, status int) bool {
	for _, r := range ranges {
		if status >= r.Lo && status <= r.Hi {
			return true
		}
	}
	return false
}

// Preview routes requests to the service's running slot that is not live,
// so it can be tried on live data before visitors see it.
type Preview struct {
	// Hosts route every request to the preview slot; lower-cased, and
	// never a host of any service.
	Hosts []string
	// Token, when set, routes a request of any of the service's hosts that
	// carries "X-Deploy-Preview: <Token>" to the preview slot.
	Token string
}

// Health is the continuous health checking of a running slot.
type Health struct {
	// Interval between active probes of every instance (the ready path);
	// default 2s.
	Interval time.Duration
	// Timeout of one probe; default 1s.
	Timeout time.Duration
	// Fall is how many failed probes in a row take an instance out of
	// rotation; default 2. Rise is how many good ones bring it back;
	// default 2.
	Fall, Rise int
	// Eject5xx is how many 5xx answers in a row take an instance out of
	// rotation for EjectFor (passive ejection); 0 turns it off; default 5.
	Eject5xx int
	EjectFor time.Duration // default 10s
}

// WarmUp requests URLs of a newly started slot until it answers about as
// fast as the live slot, because a freshly started Zope has a cold cache.
type WarmUp struct {
	URLs            []string // paths, each starting with "/"
	Rounds          int      // at least this many rounds; default 3
	MaxLatencyRatio float64  // p50(new) <= ratio * p50(live); default 1.5
	Timeout         time.Duration
}

// RollbackWhen says when a release's watch rolls back by itself.
type RollbackWhen struct {
	// ErrorRate is the share of 5xx answers and connection errors of the
	// new slot above which it is rolled back; default 0.02.
	ErrorRate float64
	// MinRequests is how many requests the new slot must have answered
	// before the rate counts; default 20.
	MinRequests int
}

// Maintenance is what visitors read while the service is in maintenance.
type Maintenance struct {
	// Page is an html/template (with .Message) read from the file the
	// config names; nil means the built-in page.
	Page       []byte
	PageFile   string        // absolute; "" with the built-in page
	RetryAfter time.Duration // default 5m
}

// Migrate is the command that migrates the data for a release marked
// needs_migration. It runs in the new release's stack dir.
type Migrate struct {
	Command []string
	Env     map[string]string
	Timeout time.Duration // default 30m
}

// Notify is told, by command, webhook or plugin, what deployments did.
// Exactly one of Command, Webhook and Plugin is set.
type Notify struct {
	Name    string
	Command []string // gets the event as JSON on stdin
	Webhook string   // gets the event as a JSON POST; http or https URL
	// Plugin names a plugin of kind PluginNotifier that is told each
	// event, with the settings in PluginConfig (its Expr, nil when none).
	Plugin       string
	PluginConfig PluginSettings
	// Events it is told about; default all of NotifyEvents.
	Events  []string
	Timeout time.Duration // default 10s
}

// NotifyEvents are the events a notifier may subscribe to.
var NotifyEvents = []string{"switch", "rollback", "release", "release_failed"}
