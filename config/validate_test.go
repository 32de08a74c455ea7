package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// okService is a valid service for cases whose problem lies elsewhere. It
// starts with a newline so that it can follow any other block.
const okService = `
service "ok" {
  hosts = ["ok.test"]
  slot "blue" { base_port = 7001 }
  stack { command = ["app"] }
}
`

// wantDiag is one expected error: where its subject starts and a piece of
// its summary or detail. "{file}" in text stands for the config file name,
// and "{dir}" for its directory.
type wantDiag struct {
	line, col int
	text      string
}

func TestParse_ReportsEveryBadConfigAtTheOffendingExpression(t *testing.T) {
	long := strings.Repeat("x", 120)
	cases := []diagCase{
		{
			name: "unknown attribute",
			src:  "controller {\n  bogus = 1\n}\n" + okService,
			want: []wantDiag{{2, 3, `An argument named "bogus" is not expected here`}},
		},
		{
			name: "unknown block",
			src:  "tls {}\n" + okService,
			want: []wantDiag{{1, 1, `Blocks of type "tls" are not expected here`}},
		},
		{
			name: "wrong type",
			src: `service "a" {
  hosts     = ["a.test"]
  instances = "two"
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			// gohcl blames the start of the value inside the quotes.
			want: []wantDiag{{3, 16, "a number is required"}},
		},
		{
			name: "numbers beyond any setting stop before evaluation",
			src: `service "a" {
  default       = true
  instances     = 1e400
  drain_timeout = "${1e9999999}s"
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{
				{3, 19, "Number out of range"},
				{4, 22, "Number out of range"},
			},
		},
		{
			name: "numbers grown by arithmetic",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 1e300 * 1e300 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{3, 29, "Number out of range"}},
		},
		{
			name: "variables are not allowed",
			src: `service "a" {
  default   = true
  instances = var.n
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{3, 15, "Variables not allowed"}},
		},
		{
			name: "two controller blocks",
			src:  "controller {}\ncontroller {}\n" + okService,
			want: []wantDiag{{2, 1, "Only one controller block is allowed here; the first is at {file}:1"}},
		},
		{
			name: "two proxy blocks",
			src:  "proxy {}\nproxy {}\n" + okService,
			want: []wantDiag{{2, 1, "Only one proxy block is allowed here; the first is at {file}:1"}},
		},
		{
			name: "no service",
			src:  "controller {}\n",
			want: []wantDiag{{1, 1, "Define at least one service"}},
		},
		{
			name: "invalid service name",
			src: `service "Demo" {
  default = true
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{1, 9, `"Demo" cannot be a service name`}},
		},
		{
			name: "invalid slot name",
			src: `service "a" {
  default = true
  slot "blue green" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{3, 8, `"blue green" cannot be a slot name`}},
		},
		{
			name: "duplicate service",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}
service "a" {
  hosts = ["b.test"]
  slot "blue" { base_port = 9201 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{6, 9, "Duplicate service; Service \"a\" is already defined (first defined at {file}:1)"}},
		},
		{
			name: "duplicate slot",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
  slot "blue" { base_port = 9201 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{4, 8, "first defined at {file}:3"}},
		},
		{
			name: "host with a port",
			src: `service "a" {
  hosts = ["a.test", "demo.localhost:8080"]
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{2, 22, `hosts are matched without their port; remove ":8080"`}},
		},
		{
			name: "host with a scheme",
			src: `service "a" {
  hosts = ["https://a.test"]
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{2, 12, `has a scheme`}},
		},
		{
			name: "wildcard host",
			src: `service "a" {
  hosts = ["*.a.test"]
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{2, 12, `is a wildcard`}},
		},
		{
			name: "host with invalid characters",
			src: `service "a" {
  hosts = ["a_b.test", "-a.test", ""]
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{
				{2, 12, `"a_b.test" is not a valid host name`},
				{2, 24, `"-a.test" is not a valid host name`},
				{2, 35, `"" is not a valid host name`},
			},
		},
		{
			name: "same host in two services",
			src: `service "a" {
  hosts = ["a.test"]
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}
service "b" {
  hosts = ["A.test"]
  slot "blue" { base_port = 9201 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{7, 12, `"a.test" is already a host of service "a"`}},
		},
		{
			name: "no hosts and not default",
			src: `service "a" {
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{1, 1, "or set default = true"}},
		},
		{
			name: "empty hosts and not default",
			src: `service "a" {
  hosts = []
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{2, 11, "Service without hosts"}},
		},
		{
			name: "two default services",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}
service "b" {
  default = true
  slot "blue" { base_port = 9201 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{7, 13, `Service "a" is already the default (first defined at {file}:2)`}},
		},
		{
			name: "instances out of range",
			src: `service "a" {
  default   = true
  instances = 0
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}
service "b" {
  hosts     = ["b.test"]
  instances = 65
  slot "blue" { base_port = 9201 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{
				{3, 15, "instances must be from 1 to 64; it is 0"},
				{9, 15, "instances must be from 1 to 64; it is 65"},
			},
		},
		{
			name: "drain_timeout without unit",
			src: `service "a" {
  default       = true
  drain_timeout = "30"
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{3, 19, `Invalid duration; "30" is not a duration. Write a number with a unit, such as "30s", "2m"`}},
		},
		{
			name: "drain_timeout zero",
			src: `service "a" {
  default       = true
  drain_timeout = "0s"
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{3, 19, "greater than zero"}},
		},
		{
			name: "ready timeout not a duration",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
  stack {
    command = ["app"]
    ready { timeout = "soon" }
  }
}`,
			want: []wantDiag{{6, 23, `"soon" is not a duration`}},
		},
		{
			name: "no slot",
			src: `service "a" {
  default = true
  stack { command = ["app"] }
}`,
			want: []wantDiag{{1, 1, "needs at least one slot"}},
		},
		{
			name: "missing base_port",
			src: `service "a" {
  default = true
  slot "blue" {}
  stack { command = ["app"] }
}`,
			want: []wantDiag{{3, 3, `Slot "blue" needs a base_port`}},
		},
		{
			name: "base_port out of range",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 0 }
  slot "green" { base_port = 70000 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{
				{3, 29, "base_port must be from 1 to 65535; it is 0"},
				{4, 30, "it is 70000"},
			},
		},
		{
			name: "last instance port past 65535",
			src: `service "a" {
  default   = true
  instances = 2
  slot "blue" { base_port = 65535 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{4, 29, "needs ports 65535-65536, past the last port 65535"}},
		},
		{
			name: "port collision between slots of one service",
			src: `service "demo" {
  default   = true
  instances = 2
  slot "blue"  { base_port = 9101 }
  slot "green" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{5, 30, `Port collision; ports 9101-9102 of service "demo" slot "green" overlap service "demo" slot "blue" (9101-9102)`}},
		},
		{
			name: "port collision between services",
			src: `service "a" {
  hosts     = ["a.test"]
  instances = 3
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}
service "b" {
  hosts = ["b.test"]
  slot "blue" { base_port = 9103 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{9, 29, `port 9103 of service "b" slot "blue" overlaps service "a" slot "blue" (9101-9103)`}},
		},
		{
			name: "port collision with a proxy listen address",
			src: `service "a" {
  default   = true
  instances = 3
  slot "blue" { base_port = 9100 }
  stack { command = ["app"] }
}
proxy { listen = ["0.0.0.0:9102"] }`,
			want: []wantDiag{{4, 29, `ports 9100-9102 of service "a" slot "blue" overlap proxy listen address "0.0.0.0:9102" (9102)`}},
		},
		{
			name: "port collision with the default listen address",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 8080 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{3, 29, `overlaps proxy listen address "127.0.0.1:8080"`}},
		},
		{
			name: "missing stack block",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
}`,
			want: []wantDiag{{1, 1, `Service "a" needs a stack block`}},
		},
		{
			name: "missing command",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
  stack { dir = "." }
}`,
			want: []wantDiag{{4, 3, "The stack needs a command"}},
		},
		{
			name: "stack dir is not a directory",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
  stack {
    dir     = "/dev/null"
    command = ["app"]
  }
}`,
			want: []wantDiag{{5, 15, "/dev/null is not a directory"}},
		},
		{
			name: "empty command and empty argument",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
  stack { command = [] }
}
service "b" {
  hosts = ["b.test"]
  slot "blue" { base_port = 9201 }
  stack { command = ["app", ""] }
}`,
			want: []wantDiag{
				{4, 21, "Empty command"},
				{9, 29, "Command arguments must not be empty strings"},
			},
		},
		{
			name: "bad and reserved env names",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
  stack {
    command = ["app"]
    env = { "1X" = "a", PORT = "9" }
  }
}`,
			want: []wantDiag{
				{6, 13, `"1X" is not a valid name`},
				{6, 25, "PORT is set by deploy for every instance"},
			},
		},
		{
			name: "ready path without leading slash",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
  stack {
    command = ["app"]
    ready { path = "healthz" }
  }
}`,
			want: []wantDiag{{6, 20, `The ready path must start with "/"`}},
		},
		{
			name: "bad listen addresses",
			src:  `proxy { listen = ["localhost", "127.0.0.1:0", "127.0.0.1:http", "[::1]:8081", "[::1]:8081", "[::1]:+80"] }` + okService,
			want: []wantDiag{
				{1, 19, `"localhost" is not a "host:port" address`},
				{1, 32, `The port of "127.0.0.1:0" must be a number from 1 to 65535`},
				{1, 47, `The port of "127.0.0.1:http" must be a number`},
				{1, 79, `"[::1]:8081" is already listed at {file}:1`},
				{1, 93, `The port of "[::1]:+80" must be a number`},
			},
		},
		{
			name: "empty listen list",
			src:  `proxy { listen = [] }` + okService,
			want: []wantDiag{{1, 18, "List at least one"}},
		},
		{
			name: "bad trusted proxies",
			src:  `proxy { trusted_proxies = ["10.0.0.0/33", "fe80::1%eth0", "::1", "10.1.2.3"] }` + okService,
			want: []wantDiag{
				{1, 28, `"10.0.0.0/33" is neither an IP address nor a CIDR prefix`},
				{1, 43, `"fe80::1%eth0" is neither`},
			},
		},
		{
			name: "socket path too long",
			src:  `controller { socket = "/` + long + `" }` + okService,
			want: []wantDiag{{1, 23, `Set a shorter one, such as controller { socket = "/run/deploy.sock" }`}},
		},
		{
			name: "default socket path too long because of state_dir",
			src:  `controller { state_dir = "/` + long + `" }` + okService,
			want: []wantDiag{{1, 26, "Socket path too long"}},
		},
		{
			name: "empty state_dir",
			src:  `controller { state_dir = "" }` + okService,
			want: []wantDiag{{1, 26, "Empty path"}},
		},
		{
			name: "duplicate stack block is reported and both are checked",
			src: `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
  stack { command = [] }
}`,
			want: []wantDiag{
				{5, 3, "Only one stack block is allowed here; the first is at {file}:4"},
				{5, 21, "Empty command"},
			},
		},
		{
			name: "many independent errors in one pass",
			src: `controller {
  state_dir = ""
}
proxy { listen = ["nope"] }
service "Web" {
  hosts         = ["web.test:443"]
  instances     = 100
  drain_timeout = "forever"
  slot "blue"  { base_port = 9101 }
  slot "green" { base_port = 9101 }
  stack {
    env = { SLOT = "x" }
    ready { path = "ok" }
  }
}
service "api" {
  hosts = ["web.test"]
}`,
			want: []wantDiag{
				{2, 15, "Empty path"},
				{4, 19, `"nope" is not a "host:port" address`},
				{5, 9, `"Web" cannot be a service name`},
				{6, 20, `remove ":443"`},
				{7, 19, "it is 100"},
				{8, 19, `"forever" is not a duration`},
				{10, 30, `port 9101 of service "Web" slot "green" overlaps service "Web" slot "blue" (9101)`},
				{11, 3, "The stack needs a command"},
				{12, 13, "SLOT is set by deploy"},
				{13, 20, `must start with "/"`},
				{16, 1, `Service "api" needs at least one slot`},
				{16, 1, `Service "api" needs a stack block`},
			},
		},
	}
	runDiagCases(t, cases)
}

// diagCase is a configuration that must fail with exactly the errors in want.
type diagCase struct {
	name string
	src  string
	want []wantDiag
}

// runDiagCases parses each case's source in a subtest and checks that it
// fails with exactly the expected errors, each at its line and column.
func runDiagCases(t *testing.T, cases []diagCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			filename := filepath.Join(shortTempDir(t), "deploy.hcl")
			cfg, diags, err := Parse([]byte(tc.src), filename)
			if err == nil || cfg != nil {
				t.Fatalf("Parse succeeded; want errors")
			}
			if err != error(diags) {
				t.Errorf("err is %T %v, want the returned *Diagnostics", err, err)
			}
			errs := errorDiags(diags)
			for _, w := range tc.want {
				text := strings.NewReplacer("{file}", filename, "{dir}", filepath.Dir(filename)).Replace(w.text)
				if !hasDiag(errs, w.line, w.col, text) {
					t.Errorf("no error at %d,%d containing %q", w.line, w.col, text)
				}
			}
			if len(errs) != len(tc.want) {
				t.Errorf("got %d errors, want %d", len(errs), len(tc.want))
			}
			if t.Failed() {
				for _, d := range errs {
					t.Logf("got %d,%d: %s; %s", d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail)
				}
			}
		})
	}
}

func errorDiags(d *Diagnostics) hcl.Diagnostics {
	var errs hcl.Diagnostics
	for _, diag := range d.Diags {
		if diag.Severity == hcl.DiagError {
			errs = append(errs, diag)
		}
	}
	return errs
}

func hasDiag(diags hcl.Diagnostics, line, col int, text string) bool {
	for _, d := range diags {
		if d.Subject == nil || d.Subject.Start.Line != line || d.Subject.Start.Column != col {
			continue
		}
		if strings.Contains(fmt.Sprintf("%s; %s", d.Summary, d.Detail), text) {
			return true
		}
	}
	return false
}
