package proxy

import (
	"context"
	"fmt"
	"time"
)

// SetInstanceDraining takes one instance of a slot out of rotation before a
// planned restart (draining true), or puts it back once it is ready again.
// Unlike an unhealthy instance, a draining one gets no request even when no
// sibling can take it: it is about to stop.
func (p *Proxy) SetInstanceDraining(service, slot, addr string, draining bool) error {
	ins, err := p.instancesAt(service, slot, addr)
	for _, in := range ins {
		in.draining.Store(draining)
	}
	return err
}

// WaitInstanceIdle waits until no request sent to the instance is still being
// answered, or ctx ends; it returns how many were left.
func (p *Proxy) WaitInstanceIdle(ctx context.Context, service, slot, addr string) (remaining int64, err error) {
	ins, err := p.instancesAt(service, slot, addr)
	if err != nil {
		return 0, err
	}
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	for {
		var n int64
		for _, in := range ins {
			n += in.inFlight.Load()
		}
		if n == 0 {
			return 0, nil
		}
		select {
		case <-ctx.Done():
			return n, nil
		case <-tick.C:
		}
	}
}

// instancesAt returns the entries of a slot's pool at addr: one, unless the
// slot lists the address twice.
func (p *Proxy) instancesAt(service, slot, addr string) ([]*instance, error) {
	pl := p.lookupPool(service, slot)
	if pl == nil {
		return nil, fmt.Errorf("%s slot %s: %w", service, slot, ErrUnknownSlot)
	}
	var out []*instance
	for _, in := range pl.instances {
		if in.addr == addr {
			out = append(out, in)
		}
	}
	if out == nil {
		return nil, fmt.Errorf("%s slot %s has no instance at %s: %w", service, slot, addr, ErrUnknownSlot)
	}
	return out, nil
}
