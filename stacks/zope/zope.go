// Package zope renders the configuration of the zope stack driver: for every
// instance of a slot its own zope.conf and WSGI ini, written into the
// instance's own var directory.
//
// Everything that must not be shared between two processes is derived from
// the instance: the var directory (client home, ZEO cache files), the ZEO
// client name of each storage and the blob cache. Two instances sharing a
// var directory or a persistent ZEO cache file is what broke hand-run Zope
// deployments; rendering per instance makes it impossible by construction.
package zope

import (
	"slices"

	"deploy/config"
	"deploy/stacks"
)

// Defaults of config.Zope, applied when a setting is zero so that a
// configuration that left them out still renders what the config package
// documents.
const (
	DefaultCacheSize   int64 = 128 << 20 // ZEO client cache, bytes
	DefaultObjectCache       = 30000     // <zodb_db> cache-size, objects
	DefaultBlobDir           = "blobs"   // relative to the var dir
	DefaultThreads           = 4         // waitress threads
)

// defaultRunner is Zope's own WSGI runner, relative to the stack dir.
const defaultRunner = "bin/runwsgi"

// Instance is one Zope process of a slot.
type Instance struct {
	Service, Slot string
	Index         int // 1-based
	Port          int
	// StackDir is absolute: the release (or configured dir) the instance
	// runs from.
	StackDir string
	// VarDir is absolute: the instance's own var directory, never shared.
	VarDir string
	// ZEOAddress is "host:port" or the absolute path of a Unix socket.
	ZEOAddress string
}

// clientName is the instance's unique name (see stacks.ClientName).
func (in Instance) clientName() string {
	return stacks.ClientName(in.Service, in.Slot, in.Index)
}

// Files are the paths Write wrote.
type Files struct{ ZopeConf, WSGIIni string }

// Render returns the contents of the instance's zope.conf and WSGI ini. It
// refuses, naming the value, anything that could change the files' syntax
// (a line break, "<", ">", "$" or "%" in a path or name, a name that is not
// a plain word, a relative path) instead of escaping it: neither ZConfig nor
// PasteDeploy has an escape that every version reads the same way.
func Render(z config.Zope, in Instance) (zopeConf, wsgiIni []byte, err error) {
	z = withDefaults(z)
	if err := check(z, in); err != nil {
		return nil, nil, err
	}
	zopeConf, err = renderZopeConf(z, in)
	if err != nil {
		return nil, nil, err
	}
	wsgiIni, err = renderWSGIIni(z, in, zopeConfPath(in))
	if err != nil {
		return nil, nil, err
	}
	return zopeConf, wsgiIni, nil
}

// Command is how the instance starts: ["bin/runwsgi", <WSGIIni>] by default,
// or z.Command as it is with the WSGI ini path as its last argument (the
// instance's ini is only known here). A relative first element stays
// relative: the controller runs it in the stack dir. The result never
// shares its backing array with z.Command.
func Command(z config.Zope, f Files) []string {
	if len(z.Command) == 0 {
		return []string{defaultRunner, f.WSGIIni}
	}
	return append(slices.Clip(slices.Clone(z.Command)), f.WSGIIni)
}

// withDefaults fills in the zero settings.
func withDefaults(z config.Zope) config.Zope {
	if z.CacheSize == 0 {
		z.CacheSize = DefaultCacheSize
	}
	if z.ObjectCache == 0 {
		z.ObjectCache = DefaultObjectCache
	}
	if z.BlobDir == "" {
		z.BlobDir = DefaultBlobDir
	}
	if z.Threads == 0 {
		z.Threads = DefaultThreads
	}
	return z
}
