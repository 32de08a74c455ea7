package config

import "time"

// Stack drivers: how the instances of a service are configured and started.
const (
	// DriverCommand runs the stack's command as it is (the default).
	DriverCommand = "command"
	// DriverZope renders a zope.conf and a WSGI ini for every instance and
	// runs Zope's WSGI server on them.
	DriverZope = "zope"
)

// Zope configures the zope driver: what every instance's zope.conf and WSGI
// ini say.
type Zope struct {
	// Mounts are the ZODB databases, one per storage of the service's ZEO
	// server that the site mounts, in file order; the one at "/" is the
	// root database. Names are storage names of the service's zeo block.
	Mounts []ZopeMount
	// CacheSize is the ZEO client cache of each instance, in bytes;
	// default 128 MiB.
	CacheSize int64
	// ObjectCache is <zodb_db> cache-size, in objects; default 30000.
	ObjectCache int
	// BlobDir is the blob cache directory of each instance, relative to its
	// var dir (default "blobs"), unless SharedBlobDir names one directory
	// all instances share (absolute).
	BlobDir       string
	SharedBlobDir string
	// Threads of each instance's WSGI server; default 4.
	Threads int
	// Command overrides the default start command
	// ["bin/runwsgi", "<the instance's wsgi.ini>"]; its first element is
	// relative to the stack dir.
	Command []string
}

// ZopeMount is one <zodb_db> of zope.conf.
type ZopeMount struct {
	Name string // the storage name, and the database name
	Path string // its mount-point, "/" for the root database
}

// VirtualHost turns on Zope VirtualHostMonster rewriting in the proxy for a
// service: a request for https://www.example.org/news goes upstream as
// /VirtualHostBase/https/www.example.org:443<Root>/VirtualHostRoot<_vh_ of
// PathPrefix>/news.
type VirtualHost struct {
	Root       string // the Zope object path of the site, e.g. "/Plone"
	PathPrefix string // inside-out hosting prefix, e.g. "/intranet"; "" when none
}

// ManagedZEO makes the controller run the ZEO server itself, supervised and
// independent of every slot. Its server's address is "host:port", never a
// Unix socket, and its port is no proxy listener's and no slot's.
type ManagedZEO struct {
	// Command starts the server; relative names are found in Dir.
	Command []string
	// Dir is the working directory; absolute, default the config's dir.
	Dir string
	// ConfigTemplate is a Go text/template file (absolute) rendered to
	// <state_dir>/zeo/<name>/zeo.conf before each start; "" renders the
	// built-in zeo.conf (address, one filestorage per storage, eventlog).
	ConfigTemplate string
	// InvalidationQueueSize (1..10000000) and TransactionTimeout (whole
	// seconds, as zeo.conf counts it) go into <zeo>; 0 leaves the
	// server's default.
	InvalidationQueueSize int
	TransactionTimeout    time.Duration
	Pack                  *ZEOPack // nil: no scheduled pack
}

// ZEOPack packs a managed ZEO server's storages on a schedule.
type ZEOPack struct {
	// Command packs; it runs with the storage in $STORAGE and the days to
	// keep in $DAYS, once per storage, e.g. ["zeopack", "-d", "..."].
	Command []string
	// Every is the interval between packs (schedule = "daily" is 24h,
	// "weekly" 168h, or any Go duration such as "90s"); at least 1s.
	Every time.Duration
	// Days of history to keep, 0..36500; default 1.
	Days int
}
