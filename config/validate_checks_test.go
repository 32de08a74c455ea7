package config

import "testing"

// serviceWith is a valid service whose body ends with body, so that the
// settings of a service can be tested one at a time. body starts on line 5.
func serviceWith(body string) string {
	return `service "a" {
  hosts = ["a.test"]
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
` + body + `}
`
}

func TestParse_ReportsEveryBadCheckAtTheOffendingExpression(t *testing.T) {
	runDiagCases(t, []diagCase{
		{
			name: "health_path without a leading slash",
			src:  `proxy { health_path = "health" }` + okService,
			want: []wantDiag{{1, 23, `Invalid health_path; "health" must be a path starting with "/"`}},
		},
		{
			name: "health_path with a query",
			src:  `proxy { health_path = "/health?full=1" }` + okService,
			want: []wantDiag{{1, 23, `without query, fragment or spaces, such as "/.deploy/health"; or "" to turn`}},
		},
		{
			name: "watch negative",
			src:  serviceWith("  watch = \"-1m\"\n"),
			want: []wantDiag{{5, 11, `The duration must not be negative. Write one such as "30s" or "2m", or "0s" to turn off the watch after a switch.`}},
		},
		{
			name: "watch not a duration",
			src:  serviceWith("  watch = \"a while\"\n"),
			want: []wantDiag{{5, 11, `"a while" is not a duration`}},
		},
		{
			name: "invalid check name",
			src:  serviceWith("  check \"Home Page\" {\n    tcp {}\n  }\n"),
			want: []wantDiag{{5, 9, `"Home Page" cannot be a check name`}},
		},
		{
			name: "duplicate check",
			src:  serviceWith("  check \"up\" {\n    tcp {}\n  }\n  check \"up\" {\n    tcp {}\n  }\n"),
			want: []wantDiag{{8, 9, `Duplicate check; Service "a" already has a check "up" (first defined at {file}:5)`}},
		},
		{
			name: "check without a kind",
			src:  serviceWith("  check \"up\" {\n    retries = 1\n  }\n"),
			want: []wantDiag{{5, 3, `Missing check kind; Check "up" needs to say what it checks: an http { ... } block`}},
		},
		{
			name: "check of every kind",
			src: serviceWith(`  check "up" {
    command = ["bin/check"]
    tcp {}
    http {}
  }
`),
			want: []wantDiag{
				{7, 5, `Conflicting check kinds; Check "up" already has a command at {file}:6; a check has exactly one of http, tcp, zeo or command.`},
				{8, 5, `Check "up" already has a command at {file}:6`},
			},
		},
		{
			name: "two http blocks are reported and both are checked",
			src: serviceWith(`  check "up" {
    http { path = "/" }
    http { path = "x" }
  }
`),
			want: []wantDiag{
				{7, 5, "Duplicate http block; Only one http block is allowed here; the first is at {file}:6"},
				{7, 19, `Invalid check path; "x" must start with "/"`},
			},
		},
		{
			name: "two tcp blocks",
			src:  serviceWith("  check \"up\" {\n    tcp {}\n    tcp {}\n  }\n"),
			want: []wantDiag{{7, 5, "Only one tcp block is allowed here; the first is at {file}:6"}},
		},
		{
			name: "tcp block with an attribute",
			src:  serviceWith("  check \"up\" {\n    tcp {\n      port = 9101\n    }\n  }\n"),
			want: []wantDiag{{7, 7, `An argument named "port" is not expected here`}},
		},
		{
			name: "empty check command",
			src:  serviceWith("  check \"up\" {\n    command = []\n  }\n"),
			want: []wantDiag{{6, 15, `Empty command; List the program and its arguments, such as command = ["bin/check", "--quick"].`}},
		},
		{
			name: "check command without a program",
			src:  serviceWith("  check \"up\" {\n    command = [\"\", \"-q\"]\n  }\n"),
			want: []wantDiag{{6, 16, "Empty program; The first element of command is the program to run"}},
		},
		{
			name: "check command not a list",
			src:  serviceWith("  check \"up\" {\n    command = \"bin/check -q\"\n  }\n"),
			// gohcl blames the start of the value inside the quotes.
			want: []wantDiag{{6, 16, "list of string required"}},
		},
		{
			name: "method that is not a token",
			src:  serviceWith("  check \"up\" {\n    http { method = \"GET /\" }\n  }\n"),
			want: []wantDiag{{6, 21, `Invalid method; "GET /" is not an HTTP method. Write one such as "GET", "HEAD" or "POST".`}},
		},
		{
			name: "check path without a leading slash",
			src:  serviceWith("  check \"up\" {\n    http { path = \"https://a.test/\" }\n  }\n"),
			want: []wantDiag{{6, 19, `"https://a.test/" must start with "/": it is a path requested of each instance`}},
		},
		{
			name: "check path with a space",
			src:  serviceWith("  check \"up\" {\n    http { path = \"/a b\" }\n  }\n"),
			want: []wantDiag{{6, 19, `"/a b" contains a space or control character; escape it, such as %20 for a space.`}},
		},
		{
			name: "check path with a fragment",
			src:  serviceWith("  check \"up\" {\n    http { path = \"/#top\" }\n  }\n"),
			want: []wantDiag{{6, 19, `"/#top" has a fragment`}},
		},
		{
			name: "check path with a bad escape",
			src:  serviceWith("  check \"up\" {\n    http { path = \"/100%\" }\n  }\n"),
			want: []wantDiag{{6, 19, `"/100%" is not a valid request path; write %25 for a literal "%".`}},
		},
		{
			name: "check host with a port",
			src:  serviceWith("  check \"up\" {\n    http { host = \"a.test:80\" }\n  }\n"),
			want: []wantDiag{{6, 19, `Invalid host; hosts are matched without their port; remove ":80"`}},
		},
		{
			name: "no statuses",
			src:  serviceWith("  check \"up\" {\n    http { status = [] }\n  }\n"),
			want: []wantDiag{{6, 21, "No statuses; List the statuses a good answer may have"}},
		},
		{
			name: "bad statuses",
			src: serviceWith(`  check "up" {
    http {
      status = [99, "600", "399-300", "2xx", 200.5, "200-"]
    }
  }
`),
			want: []wantDiag{
				{7, 17, `"99" is not an HTTP status; statuses run from 100 to 599`},
				{7, 21, `"600" is not an HTTP status`},
				{7, 28, `"399-300" runs backwards; write the lower status first, such as "300-399".`},
				{7, 39, `"2xx" is neither a status nor a range of statuses. Write a number from 100 to 599, such as 200, or a range as a string, such as "200-299".`},
				{7, 46, `"200.5" is neither a status nor a range`},
				{7, 53, `"200-" is neither`},
			},
		},
		{
			name: "body_regex that does not compile",
			src:  serviceWith("  check \"up\" {\n    http { body_regex = \"v[0-9\" }\n  }\n"),
			want: []wantDiag{{6, 25, "Invalid regular expression; \"v[0-9\" does not compile: missing closing ]: `[0-9`. Write Go (RE2) syntax"}},
		},
		{
			name: "bad headers",
			src: serviceWith(`  check "up" {
    http {
      headers = {
        "Content Type" = "html"
        "content-type" = "^text/"
        "Content-Type" = "^text/html("
        X-Version      = "(1"
      }
    }
  }
`),
			want: []wantDiag{
				{8, 9, `Invalid header name; "Content Type" is not an HTTP header name`},
				{10, 9, "Duplicate header; Content-Type is already matched at {file}:9 (header names are case-insensitive)"},
				{10, 26, `"^text/html(" does not compile`},
				{11, 26, `Invalid regular expression; "(1" does not compile: missing closing ): ` + "`(1`"},
			},
		},
		{
			name: "max_latency negative",
			src:  serviceWith("  check \"up\" {\n    http { max_latency = \"-2s\" }\n  }\n"),
			want: []wantDiag{{6, 26, `or "0s" to turn off the latency limit.`}},
		},
		{
			name: "body check of a HEAD request",
			src: serviceWith(`  check "up" {
    http {
      method        = "head"
      body_contains = "Welcome"
    }
  }
`),
			want: []wantDiag{{7, 23, `Body check of a HEAD request; A HEAD response has no body`}},
		},
		{
			name: "check timeout zero",
			src:  serviceWith("  check \"up\" {\n    tcp {}\n    timeout = \"0s\"\n  }\n"),
			want: []wantDiag{{7, 15, "The duration must be greater than zero"}},
		},
		{
			name: "check retries negative",
			src:  serviceWith("  check \"up\" {\n    tcp {}\n    retries = -1\n  }\n"),
			want: []wantDiag{{7, 15, "Invalid retries; retries must be from 0 to 100; it is -1. Write 0 for a single attempt."}},
		},
		{
			name: "check retries too many",
			src:  serviceWith("  check \"up\" {\n    tcp {}\n    retries = 101\n  }\n"),
			want: []wantDiag{{7, 15, "retries must be from 0 to 100; it is 101."}},
		},
		{
			name: "check interval not a duration",
			src:  serviceWith("  check \"up\" {\n    tcp {}\n    interval = 1\n  }\n"),
			want: []wantDiag{{7, 16, `"1" is not a duration`}},
		},
	})
}
