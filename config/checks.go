package config

import (
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Smoke checks of a service: what must be true of a freshly started slot
// before it takes traffic.

// checks checks the check blocks of a service. hosts are its valid hosts;
// the first is the Host header of HTTP checks that name none.
// zeoState says whether the service names a ZEO server, which zeo checks
// probe.
func (c *checker) checks(r *rawService, hosts []string, zeoState state) []Check {
	host := defaultCheckHost
	if len(hosts) > 0 {
		host = hosts[0]
	}
	var out []Check
	seen := map[string]hcl.Range{}
	for _, rc := range r.Checks {
		if c.name("check", rc.Name, rc.NameRange) {
			if first, dup := seen[rc.Name]; dup {
				c.add(errorf(rc.NameRange, "Duplicate check",
					"Service %q already has a check %q (first defined at %s). Rename or remove one of them.", r.Name, rc.Name, where(first)))
			} else {
				seen[rc.Name] = rc.NameRange
			}
		}
		out = append(out, c.check(rc, host))
		if len(rc.ZEOs) > 0 && zeoState == absent {
			c.add(errorf(rc.ZEOs[0].DefRange, "ZEO check without a ZEO server",
				"Check %q probes the service's ZEO server, but service %q names none. Set zeo = \"NAME\" on the service, or check something else.", rc.Name, r.Name))
		}
	}
	return out
}

func (c *checker) check(r *rawCheck, host string) Check {
	chk := Check{
		Name:     r.Name,
		Timeout:  defaultCheckTimeout,
		Retries:  defaultCheckRetries,
		Interval: defaultCheckInterval,
	}
	once(c, "http", r.HTTPs, func(r *rawHTTPCheck) hcl.Range { return r.DefRange })
	once(c, "tcp", r.TCPs, func(r *rawTCPCheck) hcl.Range { return r.DefRange })
	for i, rh := range r.HTTPs {
		if h := c.httpCheck(rh, host); i == 0 {
			chk.HTTP = h
		}
	}
	once(c, "zeo", r.ZEOs, func(r *rawZEOCheck) hcl.Range { return r.DefRange })
	chk.TCP = len(r.TCPs) > 0
	chk.ZEO = len(r.ZEOs) > 0
	cmd, cmdState := c.command(r.Command, `["bin/check", "--quick"]`)
	chk.Command = cmd
	plugin, pluginState := c.pluginRef(r.Plugin, PluginCheck, "a check's plugin")
	chk.Plugin = plugin
	chk.PluginConfig = c.pluginConfig(r.Config, pluginState, "check")

	var kinds []setting
	if len(r.HTTPs) > 0 {
		kinds = append(kinds, setting{"an http block", r.HTTPs[0].DefRange})
	}
	if len(r.TCPs) > 0 {
		kinds = append(kinds, setting{"a tcp block", r.TCPs[0].DefRange})
	}
	if len(r.ZEOs) > 0 {
		kinds = append(kinds, setting{"a zeo block", r.ZEOs[0].DefRange})
	}
	if cmdState != absent {
		kinds = append(kinds, setting{"a command", r.Command.Range()})
	}
	if pluginState != absent {
		kinds = append(kinds, setting{"a plugin", r.Plugin.Range()})
	}
	if len(kinds) == 0 {
		c.add(errorf(r.DefRange, "Missing check kind",
			"Check %q needs to say what it checks: an http { ... } block that requests a page, a tcp {} block that connects to the port, a zeo {} block that probes the service's ZEO server, a command such as command = [\"bin/check\"], or a plugin of kind \"check\" such as plugin = \"NAME\".", r.Name))
	} else {
		first, rest := firstSetting(kinds)
		rule := "a check has exactly one of http, tcp, zeo or command"
		if pluginState != absent {
			rule = "a check has exactly one of http, tcp, zeo, command or plugin"
		}
		for _, k := range rest {
			c.add(errorf(k.rng, "Conflicting check kinds",
				"Check %q already has %s at %s; %s. Move this into a check block of its own.", r.Name, first.what, where(first.rng), rule))
		}
	}

	if d, st := c.duration(r.Timeout, defaultCheckTimeout); st != invalid {
		chk.Timeout = d
	}
	chk.Retries = c.count(r.Retries, "retries", defaultCheckRetries, 0, maxCheckRetries, "Write 0 for a single attempt.")
	if d, st := c.duration(r.Interval, defaultCheckInterval); st != invalid {
		chk.Interval = d
	}
	return chk
}

func (c *checker) httpCheck(r *rawHTTPCheck, host string) *HTTPCheck {
	h := &HTTPCheck{
		Method: defaultCheckMethod,
		Path:   defaultCheckPath,
		Host:   host,
		Status: slices.Clone(defaultStatus),
	}
	if m, st := decode[string](c, r.Method); st == valid {
		if isToken(m) {
			h.Method = strings.ToUpper(m)
		} else {
			c.add(errorf(r.Method.Range(), "Invalid method",
				"%q is not an HTTP method. Write one such as \"GET\", \"HEAD\" or \"POST\".", m))
		}
	}
	if p, st := decode[string](c, r.Path); st == valid && c.requestPath(p, r.Path.Range(), "check path") {
		h.Path = p
	}
	if hh, st := decode[string](c, r.Host); st == valid && c.host(hh, r.Host.Range()) {
		h.Host = strings.ToLower(hh)
	}
	if items, st := c.stringList(r.Status); st == valid {
		h.Status = c.statuses(items, r.Status.Range())
	}
	h.BodyContains, _ = decode[string](c, r.BodyContains)
	if re, st := decode[string](c, r.BodyRegex); st == valid {
		h.BodyRegex = c.compile(re, r.BodyRegex.Range())
	}
	h.Headers = c.headers(r.Headers)
	if d, st := c.durationOrOff(r.MaxLatency, 0, "the latency limit"); st != invalid {
		h.MaxLatency = d
	}
	if h.Method == "HEAD" && (h.BodyContains != "" || h.BodyRegex != nil) {
		c.add(errorf(r.Method.Range(), "Body check of a HEAD request",
			"A HEAD response has no body, so body_contains and body_regex could never match. Use method = \"GET\", or remove the body checks."))
	}
	return h
}

// isToken reports whether s is an HTTP token (RFC 9110), the syntax of
// methods and header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}

// requestPath reports whether p can be requested of an instance as it is
// written, and explains what is wrong when it cannot. what names the
// setting, such as "check path".
func (c *checker) requestPath(p string, rng hcl.Range, what string) bool {
	bad := func(detail string, args ...any) bool {
		c.add(errorf(rng, "Invalid "+what, detail, args...))
		return false
	}
	switch {
	case !strings.HasPrefix(p, "/"):
		return bad("%q must start with \"/\": it is a path requested of each instance, such as \"/\" or \"/news?page=2\", without scheme or host.", p)
	case strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return bad("%q contains a space or control character; escape it, such as %%20 for a space.", p)
	case strings.Contains(p, "#"):
		return bad("%q has a fragment; the part from \"#\" is never sent to the server. Remove it.", p)
	}
	if _, err := url.ParseRequestURI(p); err != nil {
		return bad("%q is not a valid request path; write %%25 for a literal \"%%\".", p)
	}
	return true
}

// statusRe matches a status or an inclusive range of statuses.
var statusRe = regexp.MustCompile(`^([0-9]{1,3})(?: *- *([0-9]{1,3}))?$`)

// statuses checks the statuses an HTTP check accepts. A number converts to
// its decimal string, so 200 and "200" are read alike.
func (c *checker) statuses(items []item, rng hcl.Range) []StatusRange {
	if len(items) == 0 {
		c.add(errorf(rng, "No statuses",
			"List the statuses a good answer may have, such as status = [200] or status = [200, \"300-399\"], or remove the setting to accept 200-399."))
		return slices.Clone(defaultStatus)
	}
	var out []StatusRange
	for _, it := range items {
		m := statusRe.FindStringSubmatch(it.val)
		if m == nil {
			c.add(errorf(it.rng, "Invalid status",
				"%q is neither a status nor a range of statuses. Write a number from 100 to 599, such as 200, or a range as a string, such as \"200-299\".", it.val))
			continue
		}
		lo, _ := strconv.Atoi(m[1])
		hi := lo
		if m[2] != "" {
			hi, _ = strconv.Atoi(m[2])
		}
		switch {
		case lo < 100 || lo > 599 || hi < 100 || hi > 599:
			c.add(errorf(it.rng, "Invalid status",
				"%q is not an HTTP status; statuses run from 100 to 599, such as 200 or \"300-399\".", it.val))
		case lo > hi:
			c.add(errorf(it.rng, "Invalid status",
				"%q runs backwards; write the lower status first, such as \"%d-%d\".", it.val, hi, lo))
		default:
			out = append(out, StatusRange{Lo: lo, Hi: hi})
		}
	}
	return out
}

// headers checks the headers an HTTP check matches: each name maps to a
// regular expression that the header's value must match.
func (c *checker) headers(expr hcl.Expression) map[string]*regexp.Regexp {
	pairs, st := c.stringPairs(expr)
	if st != valid {
		return nil
	}
	var out map[string]*regexp.Regexp
	seen := map[string]hcl.Range{}
	for _, p := range pairs {
		// The pattern is checked even when the name is wrong, so that
		// fixing the name reveals no new error.
		re := c.compile(p.val, p.valRng)
		if !isToken(p.key) {
			c.add(errorf(p.keyRng, "Invalid header name",
				"%q is not an HTTP header name: use letters, digits and '-', such as \"Content-Type\".", p.key))
			continue
		}
		name := textproto.CanonicalMIMEHeaderKey(p.key)
		if first, dup := seen[name]; dup {
			c.add(errorf(p.keyRng, "Duplicate header",
				"%s is already matched at %s (header names are case-insensitive). Merge the two patterns into one, such as \"^text/(html|plain)\".", name, where(first)))
			continue
		}
		seen[name] = p.keyRng
		if re != nil {
			if out == nil {
				out = map[string]*regexp.Regexp{}
			}
			out[name] = re
		}
	}
	return out
}

// compile compiles a regular expression, or reports why it does not compile
// and returns nil.
func (c *checker) compile(s string, rng hcl.Range) *regexp.Regexp {
	re, err := regexp.Compile(s)
	if err != nil {
		c.add(errorf(rng, "Invalid regular expression",
			"%q does not compile: %s. Write Go (RE2) syntax, such as \"v[0-9]+\"; a backslash is written \"\\\\\" in HCL strings, so a literal dot is \"\\\\.\".",
			s, strings.TrimPrefix(err.Error(), "error parsing regexp: ")))
		return nil
	}
	return re
}
