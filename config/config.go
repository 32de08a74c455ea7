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
)

// Limits enforced by validation.
const (
	// maxInstances bounds the instances of one service; more is almost
	// always a typo and would reserve a long port range in every slot.
	maxInstances = 64
	// maxSocketPath is the longest Unix socket path accepted. sun_path holds
	// 104 bytes on the BSDs and macOS and 108 on Linux; the smaller one keeps
	// a configuration portable.
	maxSocketPath = 104
)

// Config is a loaded and validated configuration file.
type Config struct {
	File       string // absolute path of the config file
	Controller Controller
	Proxy      Proxy
	Services   []*Service // in file order
}

// Controller configures the controller daemon.
type Controller struct {
	StateDir string // absolute; default "<config dir>/.deploy"
	Socket   string // absolute; default "<StateDir>/control.sock"
}

// Proxy configures the embedded reverse proxy.
type Proxy struct {
	Listen         []string       // "host:port" each; default ["127.0.0.1:8080"]
	TrustedProxies []netip.Prefix // single IPs become /32 or /128 prefixes
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
	Dir     string // absolute
	Command []string
	Env     map[string]string
	Ready   Ready
}

// Ready says how to tell that a started instance is ready for traffic.
type Ready struct {
	Path    string
	Timeout time.Duration
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
