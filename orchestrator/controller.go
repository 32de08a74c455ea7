// Package orchestrator is the controller: it knows each service's live and
// previous slot, runs the operations (up, switch, rollback, down), keeps the
// state and history, and serves the control API the CLI talks to.
package orchestrator

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"deploy/config"
	"deploy/internal/logfile"
	"deploy/plugins"
	"deploy/proxy"
	"deploy/proxy/certs"
	"deploy/stacks"
	"deploy/stacks/release"
	"deploy/state"
)

// Controller owns the services' slots, the proxy's routing and the state.
type Controller struct {
	// cfg is the configuration in force; a reload swaps it while every
	// service's operations are held off (see Reload).
	cfg      atomic.Pointer[config.Config]
	store    state.Store
	releases *release.Store
	proxy    *proxy.Proxy
	log      *slog.Logger

	// services are the runtimes of the configured services, by name; a
	// reload publishes a new map.
	services atomic.Pointer[map[string]*service]
	// reloadMu lets one reload run at a time.
	reloadMu sync.Mutex

	// snapMu serialises changes of the snapshot; each change is saved before
	// it is acted on.
	snapMu sync.Mutex
	snap   *state.Snapshot

	// unpacking holds the releases an up is unpacking, by user
	// ("service/slot"): in use before the state can say so.
	unpackMu  sync.Mutex
	unpacking map[string]string
	// pruning lets one pruning of old releases run at a time.
	pruning sync.Mutex
	// previewToken lets the controller's own checks reach a preview slot
	// through the proxy.
	previewToken string
	// certs keeps the TLS listeners' certificates; nil without
	// https_listen.
	certs *certs.Manager
	// zeoServers are the ZEO servers the controller runs itself, by name.
	zeoServers map[string]*zeoServer
	// parts are the external plugins (drivers, checks, notifiers).
	parts *pluginParts
	// metrics count operations and checks for Prometheus.
	metrics *metrics
	// access is the proxy's access log file; nil when it is off.
	accessMu sync.Mutex
	access   *logfile.File
	// schedules run the scheduled restarts.
	schedules *restartSchedules
	// startSuccessor starts the process an upgrade hands over to; nil
	// until the daemon sets it (see SetUpgrade).
	startSuccessor atomic.Pointer[func() error]
}

// service is the runtime of one configured service.
type service struct {
	// cfg is the service's configuration; a reload replaces it only while
	// it holds busy, so an operation sees one configuration throughout.
	cfg  atomic.Pointer[config.Service]
	busy busyLock

	mu    sync.Mutex
	slots map[string]*slotRun

	// jobsMu guards jobs, the processes of the singleton jobs: one per job
	// from the live slot, plus those still draining on another slot.
	jobsMu sync.Mutex
	jobs   []*jobRun
}

func newService(sc *config.Service) *service {
	s := &service{slots: map[string]*slotRun{}}
	s.cfg.Store(sc)
	return s
}

// conf is the service's configuration in force.
func (s *service) conf() *config.Service { return s.cfg.Load() }

// conf is the controller's configuration in force.
func (c *Controller) conf() *config.Config { return c.cfg.Load() }

// serviceMap is the services' runtimes by name; callers must not change it.
func (c *Controller) serviceMap() map[string]*service { return *c.services.Load() }

func (s *service) run(slot string) *slotRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slots[slot]
}

func (s *service) setRun(slot string, r *slotRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r == nil {
		delete(s.slots, slot)
		return
	}
	s.slots[slot] = r
}

// New returns a controller for the configuration. Nothing runs until Restore.
func New(cfg *config.Config, store state.Store, releases *release.Store, p *proxy.Proxy, log *slog.Logger) (*Controller, error) {
	tlsCerts, err := newCertificates(cfg, log)
	if err != nil {
		return nil, err
	}
	c := &Controller{certs: tlsCerts, store: store, releases: releases, proxy: p, log: log,
		unpacking: map[string]string{}, previewToken: newPreviewToken(), zeoServers: map[string]*zeoServer{},
		schedules: newRestartSchedules()}
	c.cfg.Store(cfg)
	c.metrics = newMetrics(c)
	c.parts = newPluginParts(cfg, plugins.NewHost(log))
	for _, z := range cfg.ZEO {
		if z.Managed != nil {
			c.zeoServers[z.Name] = &zeoServer{cfg: z}
		}
	}
	services := map[string]*service{}
	for _, sc := range cfg.Services {
		services[sc.Name] = newService(sc)
	}
	c.services.Store(&services)
	p.Configure(c.routes(cfg))
	access, err := c.accessLogFile(cfg.Proxy.AccessLog)
	if err != nil {
		return nil, err
	}
	c.useAccessLog(access, cfg.Proxy.AccessLog)
	return c, nil
}

// routes are the proxy's view of the configured services.
func (c *Controller) routes(cfg *config.Config) []proxy.Service { return routes(cfg, c.previewToken) }

// routes are the proxy's view of the configured services; previewToken is
// the controller's own, which its checks reach preview slots with.
func routes(cfg *config.Config, previewToken string) []proxy.Service {
	var routes []proxy.Service
	for _, sc := range cfg.Services {
		tokens := []string{previewToken}
		if sc.Preview.Token != "" {
			tokens = append(tokens, sc.Preview.Token)
		}
		routes = append(routes, proxy.Service{
			Name: sc.Name, Hosts: sc.Hosts, Default: sc.Default,
			PreviewHosts: sc.Preview.Hosts, PreviewTokens: tokens,
			Eject5xx: sc.Health.Eject5xx, EjectFor: sc.Health.EjectFor,
			VirtualHost: virtualHost(sc.VirtualHost),
			Cache:       cacheOptions(sc.Cache),
		})
	}
	return routes
}

// service looks up a configured service.
func (c *Controller) service(name string) (*service, error) {
	services := c.serviceMap()
	s, ok := services[name]
	if !ok {
		names := make([]string, 0, len(services))
		for n := range services {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, errorf(KindNotFound, fmt.Sprintf("configured services: %v", names), "no service named %q", name)
	}
	return s, nil
}

// slotConfig looks up a slot of a service.
func (s *service) slotConfig(slot string) (config.Slot, error) {
	sc, ok := s.conf().Slot(slot)
	if !ok {
		return config.Slot{}, errorf(KindInvalid, fmt.Sprintf("slots of %s: %v", s.conf().Name, s.conf().SlotNames()),
			"service %s has no slot %q", s.conf().Name, slot)
	}
	return sc, nil
}

// view returns a copy of the current snapshot for reading.
func (c *Controller) view() *state.Snapshot {
	c.snapMu.Lock()
	defer c.snapMu.Unlock()
	return cloneSnapshot(c.snap)
}

// update applies change to a copy of the snapshot and saves it; only when the
// save succeeded does the copy become the controller's state.
func (c *Controller) update(change func(*state.Snapshot)) error {
	c.snapMu.Lock()
	defer c.snapMu.Unlock()
	next := cloneSnapshot(c.snap)
	change(next)
	if err := c.store.Save(next); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	c.snap = next
	return nil
}

func cloneSnapshot(s *state.Snapshot) *state.Snapshot {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("state snapshot cannot be encoded: %v", err))
	}
	var out state.Snapshot
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("state snapshot cannot be decoded: %v", err))
	}
	if out.Services == nil {
		out.Services = map[string]*state.Service{}
	}
	return &out
}

// onStart records a new process of an instance, so that a restarted
// controller can adopt it. Supervision ends before a slot is replaced, so a
// late restart can never record over a successor.
func (c *Controller) onStart(s *service, slot string, index int) func(stacks.ProcessID) {
	return func(id stacks.ProcessID) {
		c.writePIDFile(s.conf().Name, slot, index, id)
		err := c.update(func(snap *state.Snapshot) {
			st := snap.Service(s.conf().Name).Slots[slot]
			if st == nil {
				return
			}
			for i := range st.Instances {
				if st.Instances[i].Index == index {
					st.Instances[i].PID, st.Instances[i].StartTime = id.PID, id.StartTime
				}
			}
		})
		if err != nil {
			c.log.Error("record instance process", "service", s.conf().Name, "slot", slot, "instance", index, "err", err)
		}
	}
}

// record appends an operation to the history; a failure to write history is
// logged, never turned into a failure of the operation that already happened.
func (c *Controller) record(e state.Entry, started time.Time, err error) {
	e.Time = started.UTC()
	e.Duration = float64(time.Since(started).Microseconds()) / 1000
	e.Result = state.ResultOK
	if err != nil {
		e.Error = err.Error()
		e.Result = state.ResultFailed
		switch asError(err).Kind {
		case KindRefused, KindBusy, KindInvalid, KindNotFound, KindChecksFailed:
			e.Result = state.ResultRefused
		case KindRolledBack:
			e.Result = state.ResultRolledBack
		}
	}
	c.metrics.recorded(e)
	if herr := c.store.Append(e); herr != nil {
		c.log.Error("append history", "service", e.Service, "op", e.Op, "err", herr)
	}
}

// virtualHost is the proxy's VirtualHostMonster setting of a service.
func virtualHost(v *config.VirtualHost) *proxy.VirtualHost {
	if v == nil {
		return nil
	}
	return &proxy.VirtualHost{Root: v.Root, PathPrefix: v.PathPrefix}
}
