package orchestrator

import (
	"fmt"
	"log/slog"
	"strconv"

	"deploy/config"
	"deploy/proxy"
	"deploy/stacks/release"
	"deploy/state"
)

// NewSuccessor returns a controller that takes over from a running one (an
// upgrade). It has no state directory yet: the old controller holds it
// until it has gone. Until TakeOver, only ServeAsRecorded and
// ServerOptions may be used.
func NewSuccessor(cfg *config.Config, p *proxy.Proxy, log *slog.Logger) (*Controller, error) {
	return New(cfg, nil, nil, p, log)
}

// ServeAsRecorded routes each service to the live slot the snapshot
// records, at the instance ports it records, with its maintenance page if
// it is in maintenance, and loads the certificates. A successor serves so at
// once, while the old controller still supervises the instances and holds
// every service's busy lock, so the snapshot stays true. Restore, after
// TakeOver, keeps these routes: it reaches the same pools.
func (c *Controller) ServeAsRecorded(snap *state.Snapshot) error {
	p, cfg := c.proxy, c.conf()
	if c.certs != nil {
		c.certs.SetSites(certificateSites(cfg))
	}
	for _, sc := range cfg.Services {
		st := snap.Services[sc.Name]
		if st == nil {
			continue
		}
		if m := st.Maintenance; m != nil {
			page, err := maintenancePage(sc, m.Message)
			if err == nil {
				err = p.SetMaintenance(sc.Name, true, page)
			}
			if err != nil {
				return fmt.Errorf("maintenance of %s: %w", sc.Name, err)
			}
		}
		rec := st.Slots[st.Live]
		if rec == nil || rec.Status != state.SlotRunning || len(rec.Instances) == 0 {
			continue
		}
		b := proxy.Backend{Slot: st.Live, Release: cacheRelease(c.placeOf(sc, st.Live, rec).release, st.Live)}
		for _, in := range rec.Instances {
			b.Addrs = append(b.Addrs, "127.0.0.1:"+strconv.Itoa(in.Port))
		}
		if _, err := p.Switch(sc.Name, b); err != nil {
			return fmt.Errorf("route %s to %s: %w", sc.Name, st.Live, err)
		}
	}
	return nil
}

// cacheRelease is the release the proxy's cache keeps a slot's pages under.
// The stack dir may change between two starts of a slot: only a built
// release is known to answer alike in every slot.
func cacheRelease(release, slot string) string {
	if release == workdirRelease {
		return release + "@" + slot
	}
	return release
}

// TakeOver gives a successor the state directory and the release store,
// once the controller it replaces has gone; Restore follows.
func (c *Controller) TakeOver(store state.Store, releases *release.Store) {
	c.store, c.releases = store, releases
}
