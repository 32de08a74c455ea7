package config

import (
	"github.com/hashicorp/hcl/v2"
)

// defaultHealth is the health checking of a service without a health
// block: every running slot is checked whether or not the block is written.
var defaultHealth = Health{
	Interval: defaultHealthInterval,
	Timeout:  defaultHealthTimeout,
	Fall:     defaultHealthFall,
	Rise:     defaultHealthRise,
	Eject5xx: defaultEject5xx,
	EjectFor: defaultEjectFor,
}

func (c *checker) health(raws []*rawHealth) Health {
	once(c, "health", raws, func(r *rawHealth) hcl.Range { return r.DefRange })
	out := defaultHealth
	// Every block is checked so that removing a duplicate reveals no new
	// errors; the first one counts.
	for i, r := range raws {
		if h := c.healthBlock(r); i == 0 {
			out = h
		}
	}
	return out
}

func (c *checker) healthBlock(r *rawHealth) Health {
	h := defaultHealth
	h.Fall = c.count(r.Fall, "fall", defaultHealthFall, 1, maxHealthCount, "")
	h.Rise = c.count(r.Rise, "rise", defaultHealthRise, 1, maxHealthCount, "")
	h.Eject5xx = c.count(r.Eject5xx, "eject_5xx", defaultEject5xx, 0, maxEject5xx, "Write 0 to turn passive ejection off.")
	if d, st := c.duration(r.EjectFor, defaultEjectFor); st != invalid {
		h.EjectFor = d
	}

	interval, intervalState := c.duration(r.Interval, defaultHealthInterval)
	timeout, timeoutState := c.duration(r.Timeout, defaultHealthTimeout)
	if intervalState == invalid || timeoutState == invalid {
		return h
	}
	if timeout >= interval {
		// Blame the setting written, the timeout when both are.
		blame := r.Timeout.Range()
		if timeoutState == absent {
			blame = r.Interval.Range()
		}
		c.add(errorf(blame, "Probe timeout not below interval",
			"The probe timeout (%s) must be shorter than the interval (%s), so that one probe of an instance ends before the next starts. Lower timeout or raise interval.", timeout, interval))
		return h
	}
	h.Interval, h.Timeout = interval, timeout
	return h
}
