package config

import (
	"fmt"
	"strconv"

	"github.com/hashicorp/hcl/v2"
)

// portRange is an inclusive range of ports claimed by a proxy listener or by
// the instances of one slot. Two slots on one port would fight over it at
// start time, typically during a switch, which is the worst moment to find
// out; so overlaps are configuration errors.
type portRange struct {
	lo, hi int
	owner  string // e.g. `service "demo" slot "blue"`
}

func (p portRange) String() string {
	if p.lo == p.hi {
		return strconv.Itoa(p.lo)
	}
	return fmt.Sprintf("%d-%d", p.lo, p.hi)
}

func (p portRange) overlaps(o portRange) bool {
	return p.lo <= o.hi && o.lo <= p.hi
}

// claimPorts records p and reports the first earlier range it overlaps, at
// rng (the base_port expression of p's slot).
func (c *checker) claimPorts(p portRange, rng hcl.Range) {
	for _, o := range c.ports {
		if !p.overlaps(o) {
			continue
		}
		what := "ports " + p.String() + " of " + p.owner + " overlap"
		if p.lo == p.hi {
			what = "port " + p.String() + " of " + p.owner + " overlaps"
		}
		c.add(errorf(rng, "Port collision",
			"%s %s (%s). Choose a base_port whose range of one port per instance is free.", what, o.owner, o))
		break
	}
	c.ports = append(c.ports, p)
}
