package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// The zope driver: which databases each Zope instance mounts from the
// service's ZEO server, and how it caches them.

// drivers are the built-in stack drivers, as the messages list them; any
// other driver is a plugin.
var drivers = []string{DriverCommand, DriverZope}

// driver decodes a service's driver: a built-in one, or a plugin of kind
// driver. It is DriverCommand unless the service says otherwise.
func (c *checker) driver(expr hcl.Expression) (string, state) {
	d, st := decode[string](c, expr)
	switch {
	case st != valid:
		return DriverCommand, st
	case slices.Contains(drivers, d):
		return d, valid
	}
	if def, ok := c.pluginDefs[d]; ok {
		if c.pluginKind(d, def, PluginDriver, "a service's driver", expr.Range()) != valid {
			return DriverCommand, invalid
		}
		return d, valid
	}
	plugins := c.pluginsOf(PluginDriver)
	how := fmt.Sprintf("For a plugin driver, define it, such as plugin %q { kind = \"driver\" }, with its path.", d)
	if len(plugins) > 0 {
		how = "The others are plugins."
	}
	c.add(errorf(expr.Range(), "Unknown driver",
		"%q is not a driver; the drivers are %s: \"command\" runs the stack's command as it is, \"zope\" configures and runs Zope. %s", d, quoteAll(append(slices.Clone(drivers), plugins...)), how))
	return DriverCommand, invalid
}

// zope checks the zope blocks of a service whose driver and zeo setting
// have been decoded, and returns the first block's settings when the
// driver is zope. Blocks are checked whatever the driver, so that fixing
// the driver reveals no new errors.
func (c *checker) zope(r *rawService, driver string, driverState state, zeo string, zeoState state) *Zope {
	once(c, "zope", r.Zopes, func(r *rawZope) hcl.Range { return r.DefRange })
	isZope := driverState == valid && driver == DriverZope
	storages := c.zeoStorages[zeo] // nil when unknown
	if isZope && zeoState == absent {
		how := fmt.Sprintf("name its zeo block with zeo = \"NAME\"; the zeo blocks are %s", c.knownZEOs())
		if len(c.zeoOrder) == 0 {
			how = "define one, such as zeo \"main\" { address = \"127.0.0.1:8100\" }, and set zeo = \"main\" on the service"
		}
		c.add(errorf(r.Driver.Range(), "Zope needs a ZEO server",
			"Service %q uses the zope driver, whose instances keep their data in a ZEO server: %s.", r.Name, how))
	}
	if isZope && len(r.Zopes) == 0 {
		c.add(errorf(r.Driver.Range(), "Missing zope block",
			"Service %q uses the zope driver, which needs a zope block that mounts the site's databases, with at least mount %q { path = \"/\" } for the root database.", r.Name, rootStorage(storages)))
	}
	if !isZope && driverState != invalid && len(r.Zopes) > 0 {
		c.add(errorf(r.Zopes[0].DefRange, "Zope block without the zope driver",
			"The zope block configures the zope driver, but service %q uses %s. Set driver = \"zope\", or remove the zope block.", r.Name, driverName(driver)))
	}
	var out *Zope
	for i, rz := range r.Zopes {
		if z := c.zopeBlock(rz, zeo, storages); i == 0 && isZope {
			out = z
		}
	}
	return out
}

// rootStorage is the storage a message suggests mounting at "/".
func rootStorage(storages []string) string {
	if len(storages) == 0 {
		return "NAME"
	}
	return storages[0]
}

func (c *checker) zopeBlock(r *rawZope, zeo string, storages []string) *Zope {
	z := &Zope{
		CacheSize:   defaultZopeCacheSize,
		ObjectCache: defaultZopeObjectCache,
		BlobDir:     defaultZopeBlobDir,
		Threads:     defaultZopeThreads,
	}
	z.Mounts = c.mounts(r, zeo, storages)
	if n := c.size(r.CacheSize, defaultZopeCacheSize); n < minZopeCacheSize {
		c.add(errorf(r.CacheSize.Range(), "Invalid cache_size",
			"The ZEO client cache must be at least 1MB; it is %d bytes. Write a size with its unit, such as \"256MB\".", n))
	} else {
		z.CacheSize = n
	}
	z.ObjectCache = c.count(r.ObjectCache, "object_cache", defaultZopeObjectCache, 1, maxObjectCache, "")
	z.Threads = c.count(r.Threads, "threads", defaultZopeThreads, 1, maxZopeThreads, "")
	c.blobDirs(r, z)
	z.Command, _ = c.command(r.Command, `["bin/runwsgi", "-v"]`)
	return z
}

// mounts checks the mount blocks of a zope block. storages are those of
// the service's ZEO server, or nil when they are unknown because of an
// error reported elsewhere.
func (c *checker) mounts(r *rawZope, zeo string, storages []string) []ZopeMount {
	if len(r.Mounts) == 0 {
		c.add(errorf(r.DefRange, "Missing mount",
			"The zope block needs at least one mount, for the root database of the site: add mount %q { path = \"/\" }, named after a storage of the service's ZEO server.", rootStorage(storages)))
		return nil
	}
	var out []ZopeMount
	type mountName struct {
		name string
		rng  hcl.Range
	}
	names := map[string]mountName{} // by lower-cased name
	paths := map[string]*rawMount{}
	pathsKnown := true // every path is valid, so a missing "/" is missing
	for _, rm := range r.Mounts {
		ok := true
		// ZConfig lower-cases section names: <zodb_db Main> and <zodb_db
		// main> would be one database.
		switch first, dup := names[strings.ToLower(rm.Name)]; {
		case storages != nil && !slices.Contains(storages, rm.Name):
			c.add(errorf(rm.NameRange, "Unknown storage",
				"ZEO server %q serves no storage %q; its storages are %s. Name the mount after one of them, or add it to the zeo block's storages.", zeo, rm.Name, quoteAll(storages)))
			ok = false
		case dup && first.name == rm.Name:
			c.add(errorf(rm.NameRange, "Duplicate mount",
				"Storage %q is already mounted at %s; mount each storage once.", rm.Name, where(first.rng)))
			ok = false
		case dup:
			c.add(errorf(rm.NameRange, "Duplicate mount",
				"Storage %q is already mounted as %q at %s, and Zope's configuration ignores case in database names; mount only one of them.", rm.Name, first.name, where(first.rng)))
			ok = false
		default:
			names[strings.ToLower(rm.Name)] = mountName{rm.Name, rm.NameRange}
		}

		p, st := decode[string](c, rm.Path)
		switch {
		case st == absent:
			c.add(errorf(rm.DefRange, "Missing path",
				"Mount %q needs a path: \"/\" for the root database, or where the database appears in the site, such as path = \"/%s\".", rm.Name, rm.Name))
			pathsKnown, ok = false, false
		case st == invalid || !c.zopePath(p, rm.Path.Range(), "mount path", `"/" or "/temp_folder"`):
			pathsKnown, ok = false, false
		case paths[p] != nil:
			c.mountPathTaken(rm, p, paths[p])
			ok = false
		default:
			paths[p] = rm
		}
		if ok {
			out = append(out, ZopeMount{Name: rm.Name, Path: p})
		}
	}
	if pathsKnown && paths["/"] == nil {
		c.add(errorf(r.DefRange, "Missing root mount",
			"One mount must have path = \"/\": the root database of the site, usually the main storage, such as mount %q { path = \"/\" }.", r.Mounts[0].Name))
	}
	return out
}

// mountPathTaken reports that mount rm has path, the path of the earlier
// mount first.
func (c *checker) mountPathTaken(rm *rawMount, path string, first *rawMount) {
	if first.Name == rm.Name {
		// Already reported as a duplicate mount.
		return
	}
	p := rm.Path.Range()
	if path == "/" {
		c.add(errorf(p, "Duplicate root mount",
			"Mount %q (at %s) is already the root database, and there is exactly one. Give mount %q a path of its own, such as path = \"/%s\".", first.Name, where(first.NameRange), rm.Name, rm.Name))
		return
	}
	c.add(errorf(p, "Duplicate mount path",
		"Mount %q (at %s) already has this path; give each mount a path of its own.", first.Name, where(first.NameRange)))
}

// blobDirs checks where the instances keep their blobs: each in a
// directory of its own (blob_dir) or all in one (shared_blob_dir).
func (c *checker) blobDirs(r *rawZope, z *Zope) {
	dir, dirState := decode[string](c, r.BlobDir)
	if dirState == valid {
		if clean, ok := c.blobDir(dir, r.BlobDir.Range()); ok {
			z.BlobDir = clean
		}
	}
	shared, sharedState := decode[string](c, r.SharedBlobDir)
	if sharedState == valid {
		if filepath.IsAbs(shared) {
			z.BlobDir, z.SharedBlobDir = "", filepath.Clean(shared)
		} else {
			c.add(errorf(r.SharedBlobDir.Range(), "Invalid shared_blob_dir",
				"%q must be an absolute path, such as \"/srv/zope/blobs\", since every instance uses it; for a directory of each instance's own, write blob_dir = %q instead.", shared, shared))
		}
	}
	if dirState != absent && sharedState != absent {
		first, rest := firstSetting([]setting{
			{"blob_dir", r.BlobDir.Range()},
			{"shared_blob_dir", r.SharedBlobDir.Range()},
		})
		c.add(errorf(rest[0].rng, "Conflicting blob directories",
			"The zope block already sets %s at %s; instances keep their blobs either each in its own blob_dir or all in one shared_blob_dir. Remove one.", first.what, where(first.rng)))
	}
}

// blobDir checks a blob_dir, which is relative to each instance's var dir
// and must stay inside it, and returns it cleaned.
func (c *checker) blobDir(dir string, rng hcl.Range) (string, bool) {
	clean := filepath.Clean(dir)
	switch {
	case filepath.IsAbs(dir):
		c.add(errorf(rng, "Invalid blob_dir",
			"%q is absolute, but blob_dir is a directory of each instance's own, relative to its var dir, such as \"blobs\". For one directory every instance shares, write shared_blob_dir = %q instead.", dir, dir))
		return "", false
	case dir == "" || clean == "." || slices.Contains(strings.Split(filepath.ToSlash(dir), "/"), ".."):
		c.add(errorf(rng, "Invalid blob_dir",
			"%q must be a directory inside each instance's var dir, written relative to it without \"..\", such as \"blobs\".", dir))
		return "", false
	}
	return clean, true
}
