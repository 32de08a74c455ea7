// Package config loads and validates the deploy HCL configuration file.
//
// Validation happens in one pass: every problem in the file is reported at
// once as an hcl.Diagnostic that points at the offending expression, label or
// block, so an operator fixes the whole file in one round instead of one
// error per run.
package config

import (
	"net/netip"
	"time"
)

// Defaults applied when the configuration leaves a setting out.
const (
	defaultStateDir     = ".deploy"
	defaultSocketName   = "control.sock"
	defaultListen       = "127.0.0.1:8080"
	defaultInstances    = 1
	defaultDrainTimeout = 30 * time.Second
	defaultReadyPath    = "/"
	defaultReadyTimeout = 60 * time.Second

	defaultKeepReleases  = 5
	defaultReleasesName  = "releases" // under the state directory
	defaultGrace         = 10 * time.Second
	defaultCrashMaxExits = 5
	defaultCrashWithin   = 60 * time.Second
	defaultLogMaxSize    = 10 << 20 // 10 MiB
	defaultLogKeep       = 3

	defaultHealthPath  = "/.deploy/health"
	defaultWatch       = time.Minute
	defaultCheckMethod = "GET"
	defaultCheckPath   = "/"
	// defaultCheckHost is the Host header of a default service without
	// hosts of its own.
	defaultCheckHost     = "localhost"
	defaultCheckTimeout  = 5 * time.Second
	defaultCheckRetries  = 2
	defaultCheckInterval = time.Second

	defaultHealthInterval = 2 * time.Second
	defaultHealthTimeout  = time.Second
	defaultHealthFall     = 2
	defaultHealthRise     = 2
	defaultEject5xx       = 5
	defaultEjectFor       = 10 * time.Second

	defaultWarmUpRounds  = 3
	defaultWarmUpRatio   = 1.5
	defaultWarmUpTimeout = 60 * time.Second

	defaultErrorRate   = 0.02
	defaultMinRequests = 20

	defaultRetryAfter     = 5 * time.Minute
	defaultMigrateTimeout = 30 * time.Minute
	defaultNotifyTimeout  = 10 * time.Second

	defaultCacheMaxSize     = 64 << 20
	defaultJobGrace         = 10 * time.Second
	defaultJobDrainInterval = time.Second
	defaultJobDrainTimeout  = 5 * time.Minute

	defaultZopeCacheSize   = 128 << 20 // 128 MiB of ZEO client cache
	defaultZopeObjectCache = 30000
	defaultZopeBlobDir     = "blobs" // under each instance's var dir
	defaultZopeThreads     = 4
	defaultPackDays        = 1
)

// defaultStatus is what an HTTP check without status accepts: any answer
// that is not an error, redirects included.
var defaultStatus = []StatusRange{{200, 399}}

// defaultStorages is what a zeo block without storages serves: ZEO names a
// server's only storage "1" unless its zeo.conf says otherwise.
var defaultStorages = []string{"1"}

// Limits enforced by validation.
const (
	// maxInstances bounds the instances of one service; more is almost
	// always a typo and would reserve a long port range in every slot.
	maxInstances = 64
	// maxSocketPath is the longest Unix socket path accepted. sun_path holds
	// 104 bytes on the BSDs and macOS and 108 on Linux; the smaller one keeps
	// a configuration portable.
	maxSocketPath = 104
	// maxKeepReleases, maxCrashExits and maxLogKeep bound counts whose
	// larger values are typos rather than policies.
	maxKeepReleases = 1000
	maxCrashExits   = 1000
	maxLogKeep      = 100

	// maxCheckRetries, maxHealthCount, maxEject5xx and maxWarmUpRounds
	// bound counts whose larger values are typos rather than policies.
	maxCheckRetries = 100
	maxHealthCount  = 100 // fall and rise
	maxEject5xx     = 10000
	maxWarmUpRounds = 1000
	// minPreviewToken is the shortest preview token: it guards the
	// unreleased slot on the public hosts, so it must not be guessable.
	minPreviewToken = 16
	// maxMaintenancePage bounds the maintenance page, which is held in
	// memory and served from it.
	maxMaintenancePage = 1 << 20
	// minRetryAfter is the shortest retry_after: the Retry-After header
	// counts whole seconds.
	minRetryAfter = time.Second

	// minZopeCacheSize is the smallest ZEO client cache; a smaller one
	// thrashes, and is most likely a missing unit ("256" for "256MB").
	minZopeCacheSize = 1 << 20
	// maxObjectCache, maxZopeThreads, maxInvalidationQueue and maxPackDays
	// bound numbers whose larger values are typos rather than policies.
	maxObjectCache       = 10_000_000
	maxZopeThreads       = 256
	maxInvalidationQueue = 10_000_000
	maxPackDays          = 36500 // a century of history
	// minPackEvery is the shortest pack schedule.
	minPackEvery = time.Second
	// maxZEOTemplate bounds a managed ZEO server's zeo.conf template, which
	// is read whole at load and at every start.
	maxZEOTemplate = 1 << 20
	// maxPEMFile bounds the trusted roots, certificate and key files read
	// at load; real ones are a few kilobytes.
	maxPEMFile = 1 << 20
	// minWebToken is the shortest token of the status page's buttons: a
	// token that guards a switch of a live site must not be guessable.
	minWebToken = 16
	// maxTokenFile bounds a token file; a token is one line.
	maxTokenFile = 4 << 10
)

// Config is a loaded and validated configuration file.
type Config struct {
	File       string // absolute path of the config file
	Controller Controller
	Proxy      Proxy
	ZEO        []*ZEO     // in file order
	Plugins    []*Plugin  // in file order
	Services   []*Service // in file order
}

// Controller configures the controller daemon.
type Controller struct {
	StateDir string // absolute; default "<config dir>/.deploy"
	Socket   string // absolute; default "<StateDir>/control.sock"

	// ReleasesDir holds the release store; absolute, default
	// "<StateDir>/releases".
	ReleasesDir string
	// KeepReleases is how many of the newest releases stay in ReleasesDir
	// when older ones are pruned, so that a recent one can be deployed
	// again without rebuilding it; releases a slot uses are kept anyway.
	// 1..1000, default 5.
	KeepReleases int
	// PluginDir is where the controller looks for a plugin whose block
	// gives no path, as Plugin.BinaryName; absolute, default "" (no
	// directory is searched).
	PluginDir string

	// Web is the status page; nil when off.
	Web *Web
	// Metrics is the Prometheus endpoint; nil when off.
	Metrics *Metrics
	// API is the control API on a TCP port, beside the socket; nil when off.
	API *API
}

// Web configures the controller's status page.
type Web struct {
	Listen string // "host:port"
	// Token authorises the page's switch and rollback buttons; "" leaves
	// the page read-only. At least minWebToken bytes.
	Token string
}

// Metrics configures the controller's Prometheus endpoint.
type Metrics struct {
	Listen string // "host:port"; the metrics are at /metrics
}

// AccessLog configures the proxy's log of requests, one JSON line each.
type AccessLog struct {
	Path string // absolute
	// Sample is the fraction of requests answered below 500 that are
	// logged, in (0, 1]; 5xx answers are always logged. Default 1.
	Sample float64
}

// Proxy configures the embedded reverse proxy.
type Proxy struct {
	Listen         []string       // "host:port" each; default ["127.0.0.1:8080"]
	TrustedProxies []netip.Prefix // single IPs become /32 or /128 prefixes
	// HealthPath answers 200 for any host, even in maintenance, so that a
	// load balancer in front can tell the proxy itself is up; default
	// "/.deploy/health", "" turns it off.
	HealthPath string

	// HTTPSListen are the "host:port" addresses of the TLS listeners; none
	// means the proxy serves plain HTTP only.
	HTTPSListen []string
	// ACME is how certificates are obtained when HTTPSListen is set and
	// LocalCA is not; nil otherwise.
	ACME *ACME
	// LocalCA issues certificates from a CA the controller generates in its
	// state directory: for development and demos, never for production.
	LocalCA bool
	// RedirectHTTP answers plain-HTTP requests for hosts that have a
	// certificate with a redirect to HTTPS (ACME challenges excepted).
	RedirectHTTP bool
	// HSTS is the Strict-Transport-Security value sent on HTTPS responses;
	// "" sends none.
	HSTS string

	// AccessLog is the log of requests; nil when off.
	AccessLog *AccessLog
	// MaxBodySize is the largest request body, in bytes, the proxy passes
	// on; larger ones are answered 413. 0 when the file sets none: the
	// proxy's default then applies, 1GB (proxy.DefaultMaxBodySize), big
	// enough for the files Plone sites take as uploads.
	MaxBodySize int64
}

// ACME configures the ACME certificate authority.
type ACME struct {
	CA           string   // directory URL; default DefaultACMECA
	Email        string   // "" registers without contact
	TrustedRoots string   // absolute path of a PEM file, "" uses the system roots
	Challenges   []string // subset of ChallengeHTTP01, ChallengeTLSALPN01, in file order; default both
}

// The ACME directory used by default and the challenge types deploy can
// answer.
const (
	DefaultACMECA      = "https://acme-v02.api.letsencrypt.org/directory"
	ChallengeHTTP01    = "http-01"
	ChallengeTLSALPN01 = "tls-alpn-01"
)

// StaticTLS is a certificate/key pair kept by the operator.
type StaticTLS struct {
	Certificate string // absolute path of the PEM chain
	Key         string // absolute path of the PEM private key
}

// Service is one site served from one application.
type Service struct {
	Name         string
	Hosts        []string // lower-cased
	Default      bool     // serves requests whose host matches no service
	Instances    int
	DrainTimeout time.Duration
	Slots        []Slot // in file order
	Stack        Stack
	// ZEO names the ZEO server (a Config.ZEO entry) that every instance of
	// the service connects to; "" when the service uses none.
	ZEO string

	Checks  []Check // in file order
	Preview Preview
	Health  Health
	WarmUp  *WarmUp // nil: no warm-up
	// Watch is how long a release watches the new slot after the switch;
	// default 1m, 0 turns it off.
	Watch        time.Duration
	RollbackWhen RollbackWhen
	Maintenance  Maintenance
	Migrate      *Migrate // nil: the service has no migration command
	Notify       []Notify

	// Driver is DriverCommand (default), DriverZope, or the name of a
	// plugin of kind PluginDriver (see DriverIsPlugin); Zope is set with
	// the zope driver only.
	Driver      string
	Zope        *Zope
	VirtualHost *VirtualHost // nil: no VirtualHostMonster rewriting
	// DriverConfig holds the driver_config block of a plugin driver (its
	// Body; nil without the block). It is always empty for built-in
	// drivers.
	DriverConfig PluginSettings

	// TLS is the service's own certificate and key, served for its hosts and
	// preview hosts instead of ACME's; nil: certificates come from the
	// proxy's ACME or local CA.
	TLS *StaticTLS

	Cache   *Cache // nil: responses are not cached
	Jobs    []Job  // in file order
	Restart *Restart
}

// Slot is a named set of ports of one service.
type Slot struct {
	Name     string
	BasePort int
}

// Port returns the port of the given 1-based instance.
func (s Slot) Port(instance int) int {
	return s.BasePort + instance - 1
}

// Ports returns the ports of instances 1..instances, in order.
func (s Slot) Ports(instances int) []int {
	ports := make([]int, 0, max(instances, 0))
	for i := 1; i <= instances; i++ {
		ports = append(ports, s.Port(i))
	}
	return ports
}

// Stack is the recipe that runs a service's instances in a slot.
type Stack struct {
	// Dir is the working directory of the command when the stack runs
	// without a release; absolute, default the config file's directory.
	// When the controller deploys a release it runs the command inside the
	// unpacked release instead, and Dir is not used.
	Dir     string
	Command []string
	Env     map[string]string
	Ready   Ready
	// Templates are rendered per instance before it starts, in file order.
	Templates []Template
	// Grace is how long an instance gets after SIGTERM before SIGKILL.
	Grace     time.Duration
	CrashLoop CrashLoop
	Log       LogRotation
}

// ZEO is a ZEO server that the instances of services connect to. It runs
// outside deploy and outlives every stack.
type ZEO struct {
	Name string
	// Address is "host:port", or the absolute path of a Unix socket.
	Address string
	// Storages are the storage names the server serves, in file order;
	// default ["1"], ZEO's name for a server's only storage.
	Storages []string
	// Managed is set when the controller runs the server itself.
	Managed *ManagedZEO
}

// Template is a file rendered with Go's text/template for each instance
// before it starts.
type Template struct {
	// Source is relative to the stack directory (inside the release when
	// one is used) and stays within it. It is not checked to exist: the
	// release that holds it may not be unpacked yet.
	Source string
	// Destination is relative to the stack directory (the slot's own)
	// and stays within it as written. It may contain template actions, such as
	// "etc/zope-{{.Instance}}.conf"; the renderer must check the rendered
	// path again, because an action can expand to anything.
	Destination string
}

// CrashLoop says when a crashing instance is given up on instead of
// restarted: after MaxExits exits within Within.
type CrashLoop struct {
	MaxExits int           // 1..1000, default 5
	Within   time.Duration // default 60s
}

// LogRotation bounds the log file of each instance's output: it is rotated
// when it reaches MaxSize bytes, and Keep rotated files are kept.
type LogRotation struct {
	MaxSize int64 // bytes; default 10 MiB
	Keep    int   // 1..100, default 3
}

// Ready says how to tell that a started instance is ready for traffic.
type Ready struct {
	Path    string
	Timeout time.Duration
}

// ZEOServer returns the ZEO server with the given name.
func (c *Config) ZEOServer(name string) (*ZEO, bool) {
	for _, z := range c.ZEO {
		if z.Name == name {
			return z, true
		}
	}
	return nil, false
}

// Service returns the service with the given name.
func (c *Config) Service(name string) (*Service, bool) {
	for _, s := range c.Services {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// Slot returns the slot with the given name.
func (s *Service) Slot(name string) (Slot, bool) {
	for _, sl := range s.Slots {
		if sl.Name == name {
			return sl, true
		}
	}
	return Slot{}, false
}

// SlotNames returns the names of the service's slots in file order.
func (s *Service) SlotNames() []string {
	names := make([]string, len(s.Slots))
	for i, sl := range s.Slots {
		names[i] = sl.Name
	}
	return names
}
