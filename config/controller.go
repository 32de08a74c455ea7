package config

import (
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
)

func (c *checker) controller(raws []*rawController, start hcl.Range) Controller {
	once(c, "controller", raws, func(r *rawController) hcl.Range { return r.DefRange })
	if len(raws) == 0 {
		return c.controllerBlock(nil, start)
	}
	ctl := c.controllerBlock(raws[0], start)
	ctl.PluginDir, c.pluginDirState = c.path(raws[0].PluginDir, "")
	ctl.Web = c.web(raws[0].Webs)
	ctl.Metrics = c.metrics(raws[0].Metrics)
	// Check repeated blocks too, so that removing the duplicate does not
	// reveal new errors.
	for _, r := range raws[1:] {
		c.controllerBlock(r, start)
		c.path(r.PluginDir, "")
		c.web(r.Webs)
		c.metrics(r.Metrics)
	}
	return ctl
}

func (c *checker) controllerBlock(r *rawController, start hcl.Range) Controller {
	ctl := Controller{StateDir: c.abs(defaultStateDir)}
	// Problems with the defaulted socket path are blamed on the setting that
	// produced it: the socket, else state_dir, else the controller block,
	// else the start of the file.
	blame := start
	if r != nil {
		blame = r.DefRange
		if dir, st := c.path(r.StateDir, ctl.StateDir); st != invalid {
			ctl.StateDir = dir
			if st == valid {
				blame = r.StateDir.Range()
			}
		}
	}
	ctl.ReleasesDir, ctl.KeepReleases = c.releases(r, ctl.StateDir)
	ctl.API = c.api(r)
	ctl.Socket = filepath.Join(ctl.StateDir, defaultSocketName)
	if r != nil {
		sock, st := c.path(r.Socket, ctl.Socket)
		if st == invalid {
			return ctl
		}
		ctl.Socket = sock
		if st == valid {
			blame = r.Socket.Range()
		}
	}
	if len(ctl.Socket) > maxSocketPath {
		c.add(errorf(blame, "Socket path too long",
			"The control socket path %q is %d bytes; Unix sockets allow at most %d. Set a shorter one, such as controller { socket = \"/run/deploy.sock\" }.",
			ctl.Socket, len(ctl.Socket), maxSocketPath))
	}
	return ctl
}

// releases checks where releases are unpacked and how many are kept.
// stateDir is the resolved state directory, or its default when invalid.
func (c *checker) releases(r *rawController, stateDir string) (string, int) {
	dir := filepath.Join(stateDir, defaultReleasesName)
	if r == nil {
		return dir, defaultKeepReleases
	}
	keep := c.count(r.KeepReleases, "keep_releases", defaultKeepReleases, 1, maxKeepReleases,
		"Keep at least 1, so that the newest release stays on disk.")
	d, st := c.path(r.ReleasesDir, dir)
	if st != valid {
		return dir, keep
	}
	// Old releases are pruned from this directory, so it must not hold the
	// state (or be it): pruning would see the state files as releases.
	if rel, err := filepath.Rel(d, stateDir); err == nil && filepath.IsLocal(rel) {
		c.add(errorf(r.ReleasesDir.Range(), "Releases directory holds the state",
			"%s is, or contains, the state directory %s; old releases are removed from it. Use a directory of its own, such as the default \"<state_dir>/releases\".", d, stateDir))
		return dir, keep
	}
	return d, keep
}
