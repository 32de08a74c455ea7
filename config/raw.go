package config

import "github.com/hashicorp/hcl/v2"

// The raw* structs are what gohcl decodes the file into. Attributes stay
// hcl.Expression so that validation can point at the exact expression (or
// list element) at fault; gohcl would drop those ranges if it converted the
// values itself. Blocks keep their definition and label ranges for the same
// reason.

// Blocks that may appear once are slices all the same: gohcl drops a
// repeated block unchecked, while validation reports the repeat and still
// checks the contents of both.

type rawFile struct {
	Controllers []*rawController `hcl:"controller,block"`
	Proxies     []*rawProxy      `hcl:"proxy,block"`
	ZEOs        []*rawZEO        `hcl:"zeo,block"`
	Plugins     []*rawPlugin     `hcl:"plugin,block"`
	Services    []*rawService    `hcl:"service,block"`
}

type rawController struct {
	StateDir     hcl.Expression `hcl:"state_dir,optional"`
	Socket       hcl.Expression `hcl:"socket,optional"`
	ReleasesDir  hcl.Expression `hcl:"releases_dir,optional"`
	KeepReleases hcl.Expression `hcl:"keep_releases,optional"`
	PluginDir    hcl.Expression `hcl:"plugin_dir,optional"`
	Webs         []*rawWeb      `hcl:"web,block"`
	Metrics      []*rawMetrics  `hcl:"metrics,block"`
	APIs         []*rawAPI      `hcl:"api,block"`
	DefRange     hcl.Range      `hcl:",def_range"`
}

type rawWeb struct {
	Listen    hcl.Expression `hcl:"listen,optional"`
	Token     hcl.Expression `hcl:"token,optional"`
	TokenFile hcl.Expression `hcl:"token_file,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawMetrics struct {
	Listen   hcl.Expression `hcl:"listen,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawAPI struct {
	Listen    hcl.Expression `hcl:"listen,optional"`
	Token     hcl.Expression `hcl:"token,optional"`
	TokenFile hcl.Expression `hcl:"token_file,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawAccessLog struct {
	Path     hcl.Expression `hcl:"path,optional"`
	Sample   hcl.Expression `hcl:"sample,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawPlugin struct {
	Name      string         `hcl:"name,label"`
	NameRange hcl.Range      `hcl:"name,label_range"`
	Kind      hcl.Expression `hcl:"kind,optional"`
	Path      hcl.Expression `hcl:"path,optional"`
	SHA256    hcl.Expression `hcl:"sha256,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawZEO struct {
	Name      string         `hcl:"name,label"`
	NameRange hcl.Range      `hcl:"name,label_range"`
	Address   hcl.Expression `hcl:"address,optional"`
	Storages  hcl.Expression `hcl:"storages,optional"`
	Manageds  []*rawManaged  `hcl:"managed,block"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawManaged struct {
	Command               hcl.Expression `hcl:"command,optional"`
	Dir                   hcl.Expression `hcl:"dir,optional"`
	ConfigTemplate        hcl.Expression `hcl:"config_template,optional"`
	InvalidationQueueSize hcl.Expression `hcl:"invalidation_queue_size,optional"`
	TransactionTimeout    hcl.Expression `hcl:"transaction_timeout,optional"`
	Packs                 []*rawPack     `hcl:"pack,block"`
	DefRange              hcl.Range      `hcl:",def_range"`
}

type rawPack struct {
	Command  hcl.Expression `hcl:"command,optional"`
	Schedule hcl.Expression `hcl:"schedule,optional"`
	Days     hcl.Expression `hcl:"days,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawProxy struct {
	Listen         hcl.Expression  `hcl:"listen,optional"`
	TrustedProxies hcl.Expression  `hcl:"trusted_proxies,optional"`
	HealthPath     hcl.Expression  `hcl:"health_path,optional"`
	HTTPSListen    hcl.Expression  `hcl:"https_listen,optional"`
	ACMEs          []*rawACME      `hcl:"acme,block"`
	LocalCA        hcl.Expression  `hcl:"local_ca,optional"`
	RedirectHTTP   hcl.Expression  `hcl:"redirect_http,optional"`
	HSTS           hcl.Expression  `hcl:"hsts,optional"`
	AccessLogs     []*rawAccessLog `hcl:"access_log,block"`
	MaxBodySize    hcl.Expression  `hcl:"max_body_size,optional"`
	DefRange       hcl.Range       `hcl:",def_range"`
}

type rawACME struct {
	Email        hcl.Expression `hcl:"email,optional"`
	CA           hcl.Expression `hcl:"ca,optional"`
	TrustedRoots hcl.Expression `hcl:"trusted_roots,optional"`
	Challenges   hcl.Expression `hcl:"challenges,optional"`
	DefRange     hcl.Range      `hcl:",def_range"`
}

type rawService struct {
	Name         string         `hcl:"name,label"`
	NameRange    hcl.Range      `hcl:"name,label_range"`
	Hosts        hcl.Expression `hcl:"hosts,optional"`
	Default      hcl.Expression `hcl:"default,optional"`
	Instances    hcl.Expression `hcl:"instances,optional"`
	DrainTimeout hcl.Expression `hcl:"drain_timeout,optional"`
	ZEO          hcl.Expression `hcl:"zeo,optional"`
	Driver       hcl.Expression `hcl:"driver,optional"`
	Watch        hcl.Expression `hcl:"watch,optional"`
	Slots        []*rawSlot     `hcl:"slot,block"`
	Stacks       []*rawStack    `hcl:"stack,block"`
	Zopes        []*rawZope     `hcl:"zope,block"`

	VirtualHosts  []*rawVirtualHost  `hcl:"virtual_host,block"`
	DriverConfigs []*rawDriverConfig `hcl:"driver_config,block"`

	Checks        []*rawCheck        `hcl:"check,block"`
	Previews      []*rawPreview      `hcl:"preview,block"`
	Healths       []*rawHealth       `hcl:"health,block"`
	WarmUps       []*rawWarmUp       `hcl:"warm_up,block"`
	RollbackWhens []*rawRollbackWhen `hcl:"rollback_when,block"`
	Maintenances  []*rawMaintenance  `hcl:"maintenance,block"`
	Migrates      []*rawMigrate      `hcl:"migrate,block"`
	Notifies      []*rawNotify       `hcl:"notify,block"`
	TLSs          []*rawTLS          `hcl:"tls,block"`

	Caches   []*rawCache   `hcl:"cache,block"`
	Jobs     []*rawJob     `hcl:"job,block"`
	Restarts []*rawRestart `hcl:"restart,block"`

	DefRange hcl.Range `hcl:",def_range"`
}

// rawDriverConfig keeps the whole body of a driver_config block: the
// plugin driver decodes it against its own schema, so gohcl must not
// refuse any of it.
type rawDriverConfig struct {
	Body     hcl.Body  `hcl:",remain"`
	DefRange hcl.Range `hcl:",def_range"`
}

type rawSlot struct {
	Name      string         `hcl:"name,label"`
	NameRange hcl.Range      `hcl:"name,label_range"`
	BasePort  hcl.Expression `hcl:"base_port,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawStack struct {
	Dir        hcl.Expression  `hcl:"dir,optional"`
	Command    hcl.Expression  `hcl:"command,optional"`
	Env        hcl.Expression  `hcl:"env,optional"`
	Grace      hcl.Expression  `hcl:"grace,optional"`
	Readies    []*rawReady     `hcl:"ready,block"`
	Templates  []*rawTemplate  `hcl:"template,block"`
	CrashLoops []*rawCrashLoop `hcl:"crash_loop,block"`
	Logs       []*rawLog       `hcl:"log,block"`
	DefRange   hcl.Range       `hcl:",def_range"`
}

type rawReady struct {
	Path     hcl.Expression `hcl:"path,optional"`
	Timeout  hcl.Expression `hcl:"timeout,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawTemplate struct {
	Source      hcl.Expression `hcl:"source,optional"`
	Destination hcl.Expression `hcl:"destination,optional"`
	DefRange    hcl.Range      `hcl:",def_range"`
}

type rawCrashLoop struct {
	MaxExits hcl.Expression `hcl:"max_exits,optional"`
	Within   hcl.Expression `hcl:"within,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawLog struct {
	MaxSize  hcl.Expression `hcl:"max_size,optional"`
	Keep     hcl.Expression `hcl:"keep,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawCheck struct {
	Name      string          `hcl:"name,label"`
	NameRange hcl.Range       `hcl:"name,label_range"`
	HTTPs     []*rawHTTPCheck `hcl:"http,block"`
	TCPs      []*rawTCPCheck  `hcl:"tcp,block"`
	ZEOs      []*rawZEOCheck  `hcl:"zeo,block"`
	Command   hcl.Expression  `hcl:"command,optional"`
	Plugin    hcl.Expression  `hcl:"plugin,optional"`
	Config    hcl.Expression  `hcl:"config,optional"`
	Timeout   hcl.Expression  `hcl:"timeout,optional"`
	Retries   hcl.Expression  `hcl:"retries,optional"`
	Interval  hcl.Expression  `hcl:"interval,optional"`
	DefRange  hcl.Range       `hcl:",def_range"`
}

type rawHTTPCheck struct {
	Method       hcl.Expression `hcl:"method,optional"`
	Path         hcl.Expression `hcl:"path,optional"`
	Host         hcl.Expression `hcl:"host,optional"`
	Status       hcl.Expression `hcl:"status,optional"`
	BodyContains hcl.Expression `hcl:"body_contains,optional"`
	BodyRegex    hcl.Expression `hcl:"body_regex,optional"`
	Headers      hcl.Expression `hcl:"headers,optional"`
	MaxLatency   hcl.Expression `hcl:"max_latency,optional"`
	DefRange     hcl.Range      `hcl:",def_range"`
}

// rawTCPCheck has no attributes: gohcl reports any that are written.
type rawTCPCheck struct {
	DefRange hcl.Range `hcl:",def_range"`
}

// rawZEOCheck has no attributes either.
type rawZEOCheck struct {
	DefRange hcl.Range `hcl:",def_range"`
}

type rawPreview struct {
	Hosts    hcl.Expression `hcl:"hosts,optional"`
	Token    hcl.Expression `hcl:"token,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawHealth struct {
	Interval hcl.Expression `hcl:"interval,optional"`
	Timeout  hcl.Expression `hcl:"timeout,optional"`
	Fall     hcl.Expression `hcl:"fall,optional"`
	Rise     hcl.Expression `hcl:"rise,optional"`
	Eject5xx hcl.Expression `hcl:"eject_5xx,optional"`
	EjectFor hcl.Expression `hcl:"eject_for,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawWarmUp struct {
	URLs            hcl.Expression `hcl:"urls,optional"`
	Rounds          hcl.Expression `hcl:"rounds,optional"`
	MaxLatencyRatio hcl.Expression `hcl:"max_latency_ratio,optional"`
	Timeout         hcl.Expression `hcl:"timeout,optional"`
	DefRange        hcl.Range      `hcl:",def_range"`
}

type rawRollbackWhen struct {
	ErrorRate   hcl.Expression `hcl:"error_rate,optional"`
	MinRequests hcl.Expression `hcl:"min_requests,optional"`
	DefRange    hcl.Range      `hcl:",def_range"`
}

type rawMaintenance struct {
	Page       hcl.Expression `hcl:"page,optional"`
	RetryAfter hcl.Expression `hcl:"retry_after,optional"`
	DefRange   hcl.Range      `hcl:",def_range"`
}

type rawCache struct {
	MaxSize    hcl.Expression `hcl:"max_size,optional"`
	DefaultTTL hcl.Expression `hcl:"default_ttl,optional"`
	PurgeFrom  hcl.Expression `hcl:"purge_from,optional"`
	DefRange   hcl.Range      `hcl:",def_range"`
}

type rawJob struct {
	Name      string         `hcl:"name,label"`
	NameRange hcl.Range      `hcl:"name,label_range"`
	Command   hcl.Expression `hcl:"command,optional"`
	Env       hcl.Expression `hcl:"env,optional"`
	RunWith   hcl.Expression `hcl:"run_with,optional"`
	Grace     hcl.Expression `hcl:"grace,optional"`
	Drains    []*rawJobDrain `hcl:"drain,block"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawJobDrain struct {
	Command   hcl.Expression `hcl:"command,optional"`
	FileEmpty hcl.Expression `hcl:"file_empty,optional"`
	Signal    hcl.Expression `hcl:"signal,optional"`
	Interval  hcl.Expression `hcl:"interval,optional"`
	Timeout   hcl.Expression `hcl:"timeout,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawRestart struct {
	Schedule hcl.Expression `hcl:"schedule,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawMigrate struct {
	Command  hcl.Expression `hcl:"command,optional"`
	Env      hcl.Expression `hcl:"env,optional"`
	Timeout  hcl.Expression `hcl:"timeout,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawNotify struct {
	Name      string         `hcl:"name,label"`
	NameRange hcl.Range      `hcl:"name,label_range"`
	Command   hcl.Expression `hcl:"command,optional"`
	Webhook   hcl.Expression `hcl:"webhook,optional"`
	Plugin    hcl.Expression `hcl:"plugin,optional"`
	Config    hcl.Expression `hcl:"config,optional"`
	Events    hcl.Expression `hcl:"events,optional"`
	Timeout   hcl.Expression `hcl:"timeout,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawZope struct {
	Mounts        []*rawMount    `hcl:"mount,block"`
	CacheSize     hcl.Expression `hcl:"cache_size,optional"`
	ObjectCache   hcl.Expression `hcl:"object_cache,optional"`
	BlobDir       hcl.Expression `hcl:"blob_dir,optional"`
	SharedBlobDir hcl.Expression `hcl:"shared_blob_dir,optional"`
	Threads       hcl.Expression `hcl:"threads,optional"`
	Command       hcl.Expression `hcl:"command,optional"`
	DefRange      hcl.Range      `hcl:",def_range"`
}

type rawMount struct {
	Name      string         `hcl:"name,label"`
	NameRange hcl.Range      `hcl:"name,label_range"`
	Path      hcl.Expression `hcl:"path,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawTLS struct {
	Certificate hcl.Expression `hcl:"certificate,optional"`
	Key         hcl.Expression `hcl:"key,optional"`
	DefRange    hcl.Range      `hcl:",def_range"`
}

type rawVirtualHost struct {
	Root       hcl.Expression `hcl:"root,optional"`
	PathPrefix hcl.Expression `hcl:"path_prefix,optional"`
	DefRange   hcl.Range      `hcl:",def_range"`
}
