package config

// checkHostRoutes warns about HTTP checks whose host routes elsewhere.
// Checks also run through the proxy, which routes by host: a host of
// another service (or of none) would check that other service's route,
// and a pass there would prove nothing about this one. It runs after every
// service claimed its hosts, so a host claimed further down is known.
func (c *checker) checkHostRoutes(raws []*rawService, services []*Service) {
	for i, rs := range raws {
		s := services[i]
		for _, rc := range rs.Checks {
			// A check that names no host uses the service's own, which
			// never warns; so the range is always the written host's.
			host := checkHost(s, rc.Name)
			if host == "" || len(rc.HTTPs) == 0 || rc.HTTPs[0].Host == nil {
				continue
			}
			rng := rc.HTTPs[0].Host.Range()
			claim, claimed := c.hosts[host]
			switch {
			case claimed && claim.service != s.Name:
				c.add(warnf(rng, "Check host of another service",
					"%q is %s: through the proxy this check reaches that service, not %q. Use one of %q's hosts, or leave host out.",
					host, claim, s.Name, s.Name))
			case !claimed && !s.Default:
				c.add(warnf(rng, "Check host of no service",
					"No service has the host %q, so through the proxy this check reaches the default service or gets a 404. Use one of %q's hosts, or leave host out.",
					host, s.Name))
			}
		}
	}
}

// checkHost is the Host header of a service's HTTP check, "" when the
// check did not make it through validation.
func checkHost(s *Service, name string) string {
	for _, chk := range s.Checks {
		if chk.Name == name && chk.HTTP != nil {
			return chk.HTTP.Host
		}
	}
	return ""
}
