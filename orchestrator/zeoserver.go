package orchestrator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"github.com/google/renameio/v2"

	"deploy/config"
	"deploy/stacks"
	"deploy/state"
	"deploy/zeo"
)

// zeoReadyTimeout bounds how long a start waits for a managed ZEO server to
// answer the probe: the slots that follow need it.
const zeoReadyTimeout = 60 * time.Second

// builtinZEOConf is the zeo.conf of a managed server whose config names no
// template of its own: the address, one file storage per storage, and the
// event log that SIGUSR2 reopens.
var builtinZEOConf = template.Must(template.New("zeo.conf").Parse(`# Written by deploy for the managed ZEO server {{.Name}}; edits are replaced at the next start.
<zeo>
  address {{.Address}}
{{- if .InvalidationQueueSize}}
  invalidation-queue-size {{.InvalidationQueueSize}}
{{- end}}
{{- if .TransactionTimeout}}
  transaction-timeout {{.TransactionTimeout}}
{{- end}}
</zeo>
{{range .Storages}}
<filestorage {{.}}>
  path {{$.Dir}}/data/{{.}}.fs
  blob-dir {{$.Dir}}/blobs/{{.}}
</filestorage>
{{end}}
<eventlog>
  <logfile>
    path {{.Dir}}/zeo.log
    format %(asctime)s %(message)s
  </logfile>
</eventlog>
`))

// zeoConfData is what a zeo.conf template sees.
type zeoConfData struct {
	Name, Address         string
	Storages              []string
	Dir                   string // the server's own directory under the state dir
	InvalidationQueueSize int
	TransactionTimeout    int // seconds; 0 leaves the server's default
}

// zeoServer is a ZEO server the controller runs itself, beside every slot
// and independent of them: no switch, rollback or down ever touches it.
type zeoServer struct {
	cfg  *config.ZEO
	busy busyLock // one restart or pack at a time

	mu       sync.Mutex
	inst     *stacks.Instance
	lastPack *PackResult
	nextPack time.Time
	stopPack context.CancelFunc
}

func (z *zeoServer) instance() *stacks.Instance {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.inst
}

// zeoDir holds a managed server's zeo.conf, data, blobs and logs.
func (c *Controller) zeoDir(name string) string {
	return filepath.Join(c.conf().Controller.StateDir, "zeo", name)
}

// restoreZEOServers adopts the managed ZEO servers that survived, starts the
// others, and waits until each answers; the slots restored next need them.
func (c *Controller) restoreZEOServers(ctx context.Context) {
	for _, z := range c.zeoServers {
		if err := c.startZEOServer(ctx, z); err != nil {
			c.log.Error("managed ZEO server did not start", "zeo", z.cfg.Name, "err", err)
		}
		c.schedulePacks(z)
	}
}

// startZEOServer adopts the server's recorded process or starts a new one,
// then waits for it to answer.
func (c *Controller) startZEOServer(ctx context.Context, z *zeoServer) error {
	spec, err := c.zeoSpec(z.cfg)
	if err != nil {
		return err
	}
	opts := stacks.Options{Logger: c.log, OnStart: c.onZEOStart(z.cfg.Name)}
	var inst *stacks.Instance
	if rec := c.view().ZEO[z.cfg.Name]; rec != nil && rec.PID > 0 {
		inst, err = stacks.Adopt(spec, stacks.ProcessID{PID: rec.PID, StartTime: rec.StartTime}, opts)
		if err != nil && !errors.Is(err, stacks.ErrGone) {
			return err
		}
	}
	if inst == nil {
		if err := c.renderZEOConf(z.cfg); err != nil {
			return err
		}
		if inst, err = stacks.Start(spec, opts); err != nil {
			return err
		}
	}
	z.mu.Lock()
	z.inst = inst
	z.mu.Unlock()
	return c.waitZEO(ctx, z.cfg)
}

// waitZEO polls the server with the probe until it serves every storage.
func (c *Controller) waitZEO(ctx context.Context, z *config.ZEO) error {
	ctx, cancel := context.WithTimeout(ctx, zeoReadyTimeout)
	defer cancel()
	for {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		rep, err := zeo.Probe(pctx, z.Address, z.Storages)
		pcancel()
		if err == nil && rep.OK {
			c.log.Info("ZEO server ready", "zeo", z.Name, "address", z.Address, "protocol", rep.Protocol)
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = errors.New(storagesProblem(z, rep))
			}
			return fmt.Errorf("ZEO server %s (%s) did not answer within %s: %w", z.Name, z.Address, zeoReadyTimeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// zeoSpec is how the managed server runs: in its configured dir, with its
// zeo.conf, log and var in its own directory under the state dir.
func (c *Controller) zeoSpec(z *config.ZEO) (stacks.InstanceSpec, error) {
	_, portText, err := net.SplitHostPort(z.Address)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil {
		return stacks.InstanceSpec{}, fmt.Errorf("managed ZEO server %s needs a host:port address, not %q", z.Name, z.Address)
	}
	dir := c.zeoDir(z.Name)
	m := z.Managed
	return stacks.InstanceSpec{
		Service: "zeo-" + z.Name, Slot: "server", Index: 1, Port: port,
		Dir: m.Dir, Command: m.Command,
		Env: map[string]string{
			"ZEO_CONF":     filepath.Join(dir, "zeo.conf"),
			"ZEO_ADDRESS":  z.Address,
			"ZEO_DIR":      dir,
			"ZEO_STORAGES": strings.Join(z.Storages, " "),
		},
		VarDir:  dir,
		LogPath: filepath.Join(dir, "server.log"),
	}, nil
}

// renderZEOConf writes zeo.conf from the configured template or the
// built-in one, and creates the data and blob directories it names.
func (c *Controller) renderZEOConf(z *config.ZEO) error {
	m := z.Managed
	dir := c.zeoDir(z.Name)
	for _, sub := range []string{"data", "blobs"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return err
		}
	}
	tmpl := builtinZEOConf
	if m.ConfigTemplate != "" {
		var err error
		if tmpl, err = template.New(filepath.Base(m.ConfigTemplate)).Option("missingkey=error").ParseFiles(m.ConfigTemplate); err != nil {
			return fmt.Errorf("zeo.conf template of %s: %w", z.Name, err)
		}
	}
	var buf bytes.Buffer
	data := zeoConfData{Name: z.Name, Address: z.Address, Storages: z.Storages, Dir: dir,
		InvalidationQueueSize: m.InvalidationQueueSize, TransactionTimeout: int(m.TransactionTimeout / time.Second)}
	if err := tmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("render zeo.conf of %s: %w", z.Name, err)
	}
	return renameio.WriteFile(filepath.Join(dir, "zeo.conf"), buf.Bytes(), 0o640)
}

// onZEOStart records a new process of a managed server for adoption.
func (c *Controller) onZEOStart(name string) func(stacks.ProcessID) {
	return func(id stacks.ProcessID) {
		err := c.update(func(snap *state.Snapshot) {
			if snap.ZEO == nil {
				snap.ZEO = map[string]*state.Instance{}
			}
			snap.ZEO[name] = &state.Instance{Index: 1, PID: id.PID, StartTime: id.StartTime}
		})
		if err != nil {
			c.log.Error("record ZEO server process", "zeo", name, "err", err)
		}
	}
}

// ReopenLogs reopens the proxy's access log and asks every managed ZEO
// server to reopen its event log, as ZEO does on SIGUSR2 after logrotate
// moved it.
func (c *Controller) ReopenLogs() {
	c.reopenAccessLog()
	for _, z := range c.zeoServers {
		if in := z.instance(); in != nil {
			if err := in.Signal(syscall.SIGUSR2); err != nil {
				c.log.Warn("reopen ZEO server log", "zeo", z.cfg.Name, "err", err)
			}
		}
	}
}

// shutdownZEOServers stops the managed servers (stopStacks) or leaves them
// running for the next controller to adopt; slots go first, so no instance
// loses its database while it still serves.
func (c *Controller) shutdownZEOServers(ctx context.Context, stopStacks bool) {
	for _, z := range c.zeoServers {
		z.mu.Lock()
		in, stop := z.inst, z.stopPack
		z.mu.Unlock()
		if stop != nil {
			stop()
		}
		if in == nil {
			continue
		}
		if !stopStacks {
			in.Detach()
			continue
		}
		if err := in.Stop(ctx, zeoGrace); err != nil {
			c.log.Error("stop ZEO server", "zeo", z.cfg.Name, "err", err)
		}
	}
}

// zeoGrace is how long a managed ZEO server gets to close its storages
// cleanly after SIGTERM.
const zeoGrace = 30 * time.Second
