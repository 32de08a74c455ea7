package config

import (
	"strings"
	"testing"
)

// stackWith is a valid service whose stack block holds body, so that stack
// settings can be tested one at a time. Its stack body starts on line 5.
func stackWith(body string) string {
	return `service "a" {
  default = true
  slot "blue" { base_port = 9101 }
  stack {
    command = ["app"]
` + body + `  }
}
`
}

func TestParse_ReportsEveryBadReleaseSettingAtTheOffendingExpression(t *testing.T) {
	long := "/" + strings.Repeat("x", maxSocketPath)
	runDiagCases(t, []diagCase{
		{
			name: "keep_releases zero",
			src:  `controller { keep_releases = 0 }` + okService,
			want: []wantDiag{{1, 30, "keep_releases must be from 1 to 1000; it is 0. Keep at least 1"}},
		},
		{
			name: "keep_releases negative",
			src:  "controller {\n  keep_releases = -1\n}\n" + okService,
			want: []wantDiag{{2, 19, "it is -1. Keep at least 1"}},
		},
		{
			name: "keep_releases too many",
			src:  `controller { keep_releases = 1001 }` + okService,
			want: []wantDiag{{1, 30, "keep_releases must be from 1 to 1000; it is 1001."}},
		},
		{
			name: "empty releases_dir",
			src:  `controller { releases_dir = "" }` + okService,
			want: []wantDiag{{1, 29, "Empty path"}},
		},
		{
			name: "releases_dir is the state directory",
			src:  `controller { releases_dir = ".deploy" }` + okService,
			want: []wantDiag{{1, 29, "Releases directory holds the state"}},
		},
		{
			name: "releases_dir contains the state directory",
			src:  "controller {\n  state_dir    = \"var/deploy\"\n  releases_dir = \"var\"\n}\n" + okService,
			want: []wantDiag{{3, 18, "or contains, the state directory"}},
		},
		{
			name: "duplicate zeo server",
			src:  "zeo \"main\" { address = \"127.0.0.1:8100\" }\nzeo \"main\" { address = \"127.0.0.1:8101\" }\n" + okService,
			want: []wantDiag{{2, 5, `Duplicate zeo server; ZEO server "main" is already defined (first defined at {file}:1)`}},
		},
		{
			name: "invalid zeo name",
			src:  `zeo "Main DB" { address = "127.0.0.1:8100" }` + okService,
			want: []wantDiag{{1, 5, `"Main DB" cannot be a zeo name`}},
		},
		{
			name: "missing zeo address",
			src:  `zeo "main" {}` + okService,
			want: []wantDiag{{1, 1, `ZEO server "main" needs an address`}},
		},
		{
			name: "bad zeo addresses",
			src: `zeo "a" { address = "localhost" }
zeo "b" { address = "127.0.0.1:http" }
zeo "c" { address = ":8100" }
zeo "d" { address = "var/zeo.sock" }
zeo "e" { address = "bad_host:8100" }
zeo "f" { address = "` + long + `" }
zeo "g" { address = "[::1]:8100" }
zeo "h" { address = "127.0.0.1:0" }
zeo "i" { address = "/run/zeo.sock" }
` + okService,
			want: []wantDiag{
				{1, 21, `"localhost" is neither a "host:port" address nor an absolute Unix socket path`},
				{2, 21, `The port of "127.0.0.1:http" must be a number from 1 to 65535`},
				{3, 21, `":8100" is neither`},
				{4, 21, `"var/zeo.sock" is neither`},
				{5, 21, `"bad_host" is neither an IP address nor a host name`},
				{6, 21, "Socket path too long; The ZEO socket path is 105 bytes"},
				{8, 21, `The port of "127.0.0.1:0" must be a number`},
			},
		},
		{
			name: "bad storages",
			src: `zeo "a" {
  address  = "127.0.0.1:8100"
  storages = []
}
zeo "b" {
  address  = "127.0.0.1:8101"
  storages = ["main", "", "main"]
}
` + okService,
			want: []wantDiag{
				{3, 14, "No storages; List the storage names"},
				{7, 23, "Storage names must not be empty"},
				{7, 27, `"main" is already listed at {file}:7`},
			},
		},
		{
			name: "unknown zeo server lists the known ones",
			src: `zeo "main" { address = "127.0.0.1:8100" }
zeo "catalog" { address = "127.0.0.1:8101" }
service "a" {
  default = true
  zeo     = "mian"
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{5, 13, `Unknown zeo server; No zeo block is named "mian"; the known ones are "main", "catalog".`}},
		},
		{
			name: "zeo server named without any zeo block",
			src: `service "a" {
  default = true
  zeo     = "main"
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}`,
			want: []wantDiag{{3, 13, `No zeo block is named "main"; there is none.`}},
		},
		{
			name: "a zeo block further down with an invalid name is reported once",
			src: `service "a" {
  default = true
  zeo     = "Main"
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}
zeo "Main" { address = "127.0.0.1:8100" }`,
			want: []wantDiag{{7, 5, `"Main" cannot be a zeo name`}},
		},
		{
			name: "template paths that leave their directory, and bad destinations",
			src: stackWith(`    template {
      source      = "/etc/zope.conf.tmpl"
      destination = "../zope.conf"
    }
    template {
      source      = "etc/../../x"
      destination = "etc/zope-{{.Instance}.conf"
    }
    template {}
    template {
      source      = ""
      destination = "."
    }
`),
			want: []wantDiag{
				{7, 21, `Invalid template source; "/etc/zope.conf.tmpl" must be a relative path`},
				{8, 21, `Invalid template destination; "../zope.conf" must be a relative path`},
				{11, 21, `"etc/../../x" must be a relative path`},
				{12, 21, `"etc/zope-{{.Instance}.conf" is not a valid Go template: bad character U+007D '}'.`},
				{14, 5, "A template needs a source"},
				{14, 5, "A template needs a destination"},
				{16, 21, `"" must be a relative path`},
				{17, 21, `"." must be a relative path`},
			},
		},
		{
			name: "templates that overwrite each other or their source",
			src: stackWith(`    template {
      source      = "etc/a.conf.tmpl"
      destination = "etc/b.conf"
    }
    template {
      source      = "etc/c.conf.tmpl"
      destination = "etc//b.conf"
    }
    template {
      source      = "etc/a.conf"
      destination = "./etc/a.conf"
    }
`),
			want: []wantDiag{
				{12, 21, `"etc//b.conf" is already written by the template at {file}:8`},
				{16, 21, `Template overwrites its source; "./etc/a.conf" is also the source`},
			},
		},
		{
			name: "grace zero",
			src:  stackWith("    grace = \"0s\"\n"),
			want: []wantDiag{{6, 13, "greater than zero"}},
		},
		{
			name: "grace without unit",
			src:  stackWith("    grace = 10\n"),
			want: []wantDiag{{6, 13, `"10" is not a duration`}},
		},
		{
			name: "bad crash_loop and a second one",
			src: stackWith(`    crash_loop {
      max_exits = 0
      within    = "forever"
    }
    crash_loop { max_exits = 1001 }
`),
			want: []wantDiag{
				{7, 19, "Invalid max_exits; max_exits must be from 1 to 1000; it is 0."},
				{8, 19, `"forever" is not a duration`},
				{10, 5, "Only one crash_loop block is allowed here; the first is at {file}:6"},
				{10, 30, "it is 1001"},
			},
		},
		{
			name: "bad log rotation and a second block",
			src: stackWith(`    log {
      max_size = "10 XB"
      keep     = 0
    }
    log {
      max_size = "0KB"
      keep     = 101
    }
    log { max_size = "9999999999GB" }
    log { max_size = -1 }
    log { max_size = "1.5MB" }
`),
			want: []wantDiag{
				{7, 18, `Invalid size; "10 XB" is not a size`},
				{8, 18, "Invalid keep; keep must be from 1 to 100; it is 0."},
				{10, 5, "Only one log block is allowed here; the first is at {file}:6"},
				{11, 18, "The size must be greater than zero"},
				{12, 18, "it is 101"},
				{14, 5, "Only one log block"},
				{14, 22, `"9999999999GB" is too large`},
				{15, 5, "Only one log block"},
				{15, 22, `"-1" is not a size`},
				{16, 5, "Only one log block"},
				{16, 22, `"1.5MB" is not a size`},
			},
		},
	})
}
