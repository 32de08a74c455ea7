package config

import "github.com/hashicorp/hcl/v2"

// API configures the control API on a TCP port: the same operations as the
// control socket, for callers on other hosts or of other OS users.
type API struct {
	Listen string // "host:port"
	// Token is what every request must send as "Authorization: Bearer
	// TOKEN". Always set, at least minWebToken bytes: a TCP peer has no OS
	// user the controller could check, as it does on the socket.
	Token string
}

// api checks the api block of a controller block (nil: none). Its listen
// address and token follow the web block's rules, except that the token is
// required: the API can switch, release and stop everything.
func (c *checker) api(r *rawController) *API {
	if r == nil {
		return nil
	}
	once(c, "api", r.APIs, func(r *rawAPI) hcl.Range { return r.DefRange })
	var out *API
	for i, a := range r.APIs {
		addr, ok := c.controllerListen("api", a.Listen, a.DefRange, "127.0.0.1:9902")
		tok, tokOK := c.webToken(&rawWeb{Token: a.Token, TokenFile: a.TokenFile, DefRange: a.DefRange}, "the control API")
		if tokOK && tok == "" {
			c.add(errorf(a.DefRange, "Missing API token",
				"The api block needs token_file = \"FILE\" (or token = \"...\"): without a token anyone who reaches the port could switch the live site. Generate one with: openssl rand -hex 24 > /etc/deploy/api.token"))
			tokOK = false
		}
		if i == 0 && ok && tokOK {
			out = &API{Listen: addr, Token: tok}
		}
	}
	return out
}
