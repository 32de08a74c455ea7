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
	// Check repeated blocks too, so that removing the duplicate does not
	// reveal new errors.
	for _, r := range raws[1:] {
		c.controllerBlock(r, start)
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
