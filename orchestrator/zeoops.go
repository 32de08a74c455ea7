package orchestrator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"deploy/config"
	"deploy/stacks"
	"deploy/state"
	"deploy/zeo"
)

// Bounds of the operations on ZEO servers.
const (
	zeoProbeTimeout = 5 * time.Second
	packTimeout     = 6 * time.Hour // a pack of a large storage takes long; it must still end
)

// ZEOStatus is what the controller knows of a ZEO server.
type ZEOStatus struct {
	Name       string         `json:"name"`
	Address    string         `json:"address"`
	Storages   []string       `json:"storages"`
	Managed    bool           `json:"managed"`
	Process    *stacks.Status `json:"process,omitempty"`
	Probe      *zeo.Report    `json:"probe,omitempty"`
	ProbeError string         `json:"probe_error,omitempty"`
	LastPack   *PackResult    `json:"last_pack,omitempty"`
	NextPack   time.Time      `json:"next_pack,omitzero"`
}

// PackResult says how a pack of every storage of a server went.
type PackResult struct {
	Started  time.Time `json:"started"`
	TookMS   int64     `json:"took_ms"`
	Storages []string  `json:"storages"`
	OK       bool      `json:"ok"`
	Error    string    `json:"error,omitempty"`
}

// ZEORequest names a ZEO server for an operation.
type ZEORequest struct {
	Name  string `json:"-"`
	Actor string `json:"-"`
}

func (r *ZEORequest) setCaller(name, actor string) { r.Name, r.Actor = name, actor }

// zeoConfig looks up a configured ZEO server.
func (c *Controller) zeoConfig(name string) (*config.ZEO, error) {
	z, ok := c.conf().ZEOServer(name)
	if !ok {
		var names []string
		for _, z := range c.conf().ZEO {
			names = append(names, z.Name)
		}
		return nil, errorf(KindNotFound, fmt.Sprintf("configured ZEO servers: %v", names), "no zeo server named %q", name)
	}
	return z, nil
}

// managedZEO looks up a ZEO server the controller runs.
func (c *Controller) managedZEO(name string) (*zeoServer, error) {
	z, err := c.zeoConfig(name)
	if err != nil {
		return nil, err
	}
	s, ok := c.zeoServers[z.Name]
	if !ok {
		return nil, errorf(KindRefused, "only a zeo block with a managed { } block is run by deploy",
			"ZEO server %s runs outside deploy", name)
	}
	return s, nil
}

// ZEOStatus probes a ZEO server and, for a managed one, reports its process
// and packs.
func (c *Controller) ZEOStatus(ctx context.Context, name string) (*ZEOStatus, error) {
	z, err := c.zeoConfig(name)
	if err != nil {
		return nil, err
	}
	st := &ZEOStatus{Name: z.Name, Address: z.Address, Storages: z.Storages}
	if s, ok := c.zeoServers[z.Name]; ok {
		st.Managed = true
		if in := s.instance(); in != nil {
			ps := in.Status()
			st.Process = &ps
		}
		s.mu.Lock()
		st.LastPack, st.NextPack = s.lastPack, s.nextPack
		s.mu.Unlock()
	}
	pctx, cancel := context.WithTimeout(ctx, zeoProbeTimeout)
	defer cancel()
	if st.Probe, err = zeo.Probe(pctx, z.Address, z.Storages); err != nil {
		st.ProbeError = err.Error()
	}
	return st, nil
}

// RestartZEO stops a managed ZEO server and starts it again. Every instance
// of every slot loses its connection for that time and reconnects.
func (c *Controller) RestartZEO(ctx context.Context, req ZEORequest) (res *ZEOStatus, err error) {
	started := time.Now()
	defer func() {
		c.record(state.Entry{Actor: req.Actor, Op: "zeo restart", Service: zeoHistoryName(req.Name)}, started, err)
	}()
	s, err := c.managedZEO(req.Name)
	if err != nil {
		return nil, err
	}
	release, err := s.busy.acquire("ZEO server "+req.Name, "restart", req.Actor)
	if err != nil {
		return nil, err
	}
	defer release()
	if in := s.instance(); in != nil {
		if err := in.Stop(ctx, zeoGrace); err != nil {
			return nil, errorf(KindFailed, "see the server's log", "stop ZEO server %s: %v", req.Name, err)
		}
	}
	// A stopped process is not adopted again.
	if err := c.update(func(snap *state.Snapshot) { delete(snap.ZEO, s.cfg.Name) }); err != nil {
		return nil, err
	}
	if err := c.startZEOServer(ctx, s); err != nil {
		return nil, errorf(KindFailed, "see the server's log: "+filepath.Join(c.zeoDir(req.Name), "server.log"), "%v", err)
	}
	return c.ZEOStatus(ctx, req.Name)
}

// PackZEO packs every storage of a managed ZEO server now.
func (c *Controller) PackZEO(ctx context.Context, req ZEORequest) (*PackResult, error) {
	s, err := c.managedZEO(req.Name)
	if err != nil {
		return nil, err
	}
	if s.cfg.Managed.Pack == nil {
		return nil, errorf(KindRefused, "add a pack { command = [...] schedule = \"weekly\" } block to its managed block",
			"ZEO server %s has no pack command", req.Name)
	}
	return c.pack(ctx, s, req.Actor)
}

// pack runs the pack command once per storage under the server's lock, and
// records the result.
func (c *Controller) pack(ctx context.Context, s *zeoServer, actor string) (res *PackResult, err error) {
	started := time.Now()
	defer func() {
		c.record(state.Entry{Actor: actor, Op: "zeo pack", Service: zeoHistoryName(s.cfg.Name)}, started, err)
	}()
	release, err := s.busy.acquire("ZEO server "+s.cfg.Name, "pack", actor)
	if err != nil {
		return nil, err
	}
	defer release()
	p := s.cfg.Managed.Pack
	res = &PackResult{Started: started.UTC(), OK: true}
	for _, storage := range s.cfg.Storages {
		if err := c.packStorage(ctx, s.cfg, p, storage); err != nil {
			res.OK, res.Error = false, err.Error()
			break
		}
		res.Storages = append(res.Storages, storage)
	}
	res.TookMS = time.Since(started).Milliseconds()
	s.mu.Lock()
	s.lastPack = res
	s.mu.Unlock()
	if !res.OK {
		return res, errorf(KindFailed, "see "+filepath.Join(c.zeoDir(s.cfg.Name), "pack.log"), "pack of ZEO server %s: %s", s.cfg.Name, res.Error)
	}
	c.log.Info("packed", "zeo", s.cfg.Name, "storages", res.Storages, "took", time.Since(started))
	return res, nil
}

// packStorage runs the pack command for one storage, appending its output
// to the server's pack.log.
func (c *Controller) packStorage(ctx context.Context, z *config.ZEO, p *config.ZEOPack, storage string) error {
	logPath := filepath.Join(c.zeoDir(z.Name), "pack.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	defer logf.Close()
	pctx, cancel := context.WithTimeout(ctx, packTimeout)
	defer cancel()
	cmd := groupCommand(pctx, p.Command, z.Managed.Dir)
	cmd.Env = append(os.Environ(), "STORAGE="+storage, "DAYS="+strconv.Itoa(p.Days),
		"ZEO_ADDRESS="+z.Address, "ZEO_CONF="+filepath.Join(c.zeoDir(z.Name), "zeo.conf"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("storage %s: %v %v", storage, p.Command, err)
	}
	return nil
}

// schedulePacks packs the server every Pack.Every until shutdown.
func (c *Controller) schedulePacks(s *zeoServer) {
	p := s.cfg.Managed.Pack
	if p == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.stopPack, s.nextPack = cancel, time.Now().Add(p.Every)
	s.mu.Unlock()
	go func() {
		t := time.NewTicker(p.Every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.mu.Lock()
				s.nextPack = time.Now().Add(p.Every)
				s.mu.Unlock()
				if _, err := c.pack(ctx, s, "schedule"); err != nil {
					c.log.Error("scheduled pack failed", "zeo", s.cfg.Name, "err", err)
				}
			}
		}
	}()
}

// zeoHistoryName is how history names a ZEO server's operations.
func zeoHistoryName(name string) string { return "zeo:" + name }

// probeServiceZEO refuses to start a slot whose ZEO server does not serve
// every storage the service opens: its instances would start and then hang
// on their first request.
func (c *Controller) probeServiceZEO(ctx context.Context, s *service) error {
	if s.conf().ZEO == "" {
		return nil
	}
	z, _ := c.conf().ZEOServer(s.conf().ZEO)
	storages := serviceStorages(s.conf(), z)
	pctx, cancel := context.WithTimeout(ctx, zeoProbeTimeout)
	defer cancel()
	rep, err := zeo.Probe(pctx, z.Address, storages)
	if err != nil {
		return errorf(KindRefused, fmt.Sprintf("check the ZEO server (deploy zeo check %s)", z.Name),
			"cannot start %s: ZEO server %s is not answering: %v", s.conf().Name, z.Name, err)
	}
	if !rep.OK {
		return errorf(KindRefused, fmt.Sprintf("check the server's zeo.conf and the storages of zeo %q in the config", z.Name),
			"cannot start %s: %s", s.conf().Name, storagesProblem(z, rep))
	}
	return nil
}

// serviceStorages are the storages a service's instances open: its Zope
// mounts, or every storage of its ZEO server.
func serviceStorages(sc *config.Service, z *config.ZEO) []string {
	if sc.Zope == nil {
		return z.Storages
	}
	var out []string
	for _, m := range sc.Zope.Mounts {
		if !slices.Contains(out, m.Name) {
			out = append(out, m.Name)
		}
	}
	return out
}

// storagesProblem names the storages a probe found not served.
func storagesProblem(z *config.ZEO, rep *zeo.Report) string {
	var missing []string
	for _, s := range rep.Storages {
		if !s.Served {
			missing = append(missing, s.Name)
		}
	}
	return fmt.Sprintf("ZEO server %s (%s) does not serve storage %s", z.Name, z.Address, strings.Join(missing, ", "))
}
