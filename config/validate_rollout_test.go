package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// twoServices is service "a" with bodyA and service "b" with bodyB, for
// settings that must not collide across services. bodyA starts on line 5;
// bodyB starts four lines after bodyA ends.
func twoServices(bodyA, bodyB string) string {
	return serviceWith(bodyA) + `service "b" {
  hosts = ["b.test"]
  slot "blue" { base_port = 9201 }
  stack { command = ["app"] }
` + bodyB + `}
`
}

func TestParse_ReportsEveryBadRolloutSettingAtTheOffendingExpression(t *testing.T) {
	pages := t.TempDir()
	page := func(name, content string) string {
		t.Helper()
		return writeFile(t, pages, name, []byte(content))
	}
	badSyntax := page("syntax.html", "<p>{{.Message}</p>")
	badField := page("field.html", "<p>{{.Mesage}}</p>")
	badContext := page("context.html", `<a href="{{.Message}}`)
	tooLarge := page("large.html", strings.Repeat("x", maxMaintenancePage+1))
	if err := os.Mkdir(filepath.Join(pages, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}

	runDiagCases(t, []diagCase{
		{
			name: "preview host that is a host of its own service",
			src:  serviceWith("  preview {\n    hosts = [\"A.test\"]\n  }\n"),
			want: []wantDiag{{6, 14, `Duplicate host; "a.test" is already a host of service "a"; a preview host must be a host of its own`}},
		},
		{
			name: "preview host that an earlier service serves",
			src:  twoServices("", "  preview {\n    hosts = [\"a.test\"]\n  }\n"),
			want: []wantDiag{{11, 14, `"a.test" is already a host of service "a"; a preview host must be a host of its own`}},
		},
		{
			name: "service host that an earlier preview claims",
			src:  twoServices("  preview {\n    hosts = [\"b.test\"]\n  }\n", ""),
			want: []wantDiag{{10, 12, `"b.test" is already a preview host of service "a"; a preview host must be a host of its own`}},
		},
		{
			name: "preview host of two services",
			src:  twoServices("  preview {\n    hosts = [\"p.test\"]\n  }\n", "  preview {\n    hosts = [\"p.test\"]\n  }\n"),
			want: []wantDiag{{14, 14, `"p.test" is already a preview host of service "a"`}},
		},
		{
			name: "preview host that is not a host name",
			src:  serviceWith("  preview {\n    hosts = [\"preview.a.test\", \"*.a.test\", \"p.a.test\", \"P.a.test\"]\n  }\n"),
			want: []wantDiag{
				{6, 32, `"*.a.test" is a wildcard`},
				{6, 56, `"P.a.test" is already listed as "p.a.test" at {file}:6`},
			},
		},
		{
			name: "repeated preview block is reported once, not as a host collision",
			src:  serviceWith("  preview {\n    hosts = [\"p.test\"]\n  }\n  preview {\n    hosts = [\"p.test\"]\n  }\n"),
			want: []wantDiag{{8, 3, "Duplicate preview block; Only one preview block is allowed here; the first is at {file}:5"}},
		},
		{
			name: "empty preview block",
			src:  serviceWith("  preview {\n  }\n"),
			want: []wantDiag{{5, 3, `Preview without hosts or token; A preview is reached through hosts of its own`}},
		},
		{
			name: "preview with an empty host list and no token",
			src:  serviceWith("  preview {\n    hosts = []\n  }\n"),
			want: []wantDiag{{6, 13, "Preview without hosts or token"}},
		},
		{
			name: "preview token too short",
			src:  serviceWith("  preview {\n    token = \"secret\"\n  }\n"),
			want: []wantDiag{{6, 13, "Preview token too short; The token is 6 characters; use at least 16"}},
		},
		{
			name: "preview token with a space",
			src:  serviceWith("  preview {\n    token = \"correct horse battery staple\"\n  }\n"),
			want: []wantDiag{{6, 13, "Invalid preview token; The token is sent in the X-Deploy-Preview header, so it must be printable ASCII without spaces."}},
		},
		{
			name: "health timeout not below the interval",
			src:  serviceWith("  health {\n    interval = \"1s\"\n    timeout  = \"1s\"\n  }\n"),
			want: []wantDiag{{7, 16, "Probe timeout not below interval; The probe timeout (1s) must be shorter than the interval (1s)"}},
		},
		{
			name: "health interval below the default timeout",
			src:  serviceWith("  health {\n    interval = \"500ms\"\n  }\n"),
			want: []wantDiag{{6, 16, "The probe timeout (1s) must be shorter than the interval (500ms)"}},
		},
		{
			name: "health timeout not below the default interval",
			src:  serviceWith("  health {\n    timeout = \"2s\"\n  }\n"),
			want: []wantDiag{{6, 15, "The probe timeout (2s) must be shorter than the interval (2s)"}},
		},
		{
			name: "health counts out of range",
			src: serviceWith(`  health {
    fall      = 0
    rise      = 101
    eject_5xx = -1
    eject_for = "0s"
  }
`),
			want: []wantDiag{
				{6, 17, "Invalid fall; fall must be from 1 to 100; it is 0."},
				{7, 17, "Invalid rise; rise must be from 1 to 100; it is 101."},
				{8, 17, "Invalid eject_5xx; eject_5xx must be from 0 to 10000; it is -1. Write 0 to turn passive ejection off."},
				{9, 17, "The duration must be greater than zero"},
			},
		},
		{
			name: "two health blocks",
			src:  serviceWith("  health {\n  }\n  health {\n    fall = 0\n  }\n"),
			want: []wantDiag{
				{7, 3, "Only one health block is allowed here; the first is at {file}:5"},
				{8, 12, "fall must be from 1 to 100"},
			},
		},
		{
			name: "warm_up without urls",
			src:  serviceWith("  warm_up {\n    rounds = 2\n  }\n"),
			want: []wantDiag{{5, 3, `Missing urls; A warm_up block needs the pages to request, as paths such as urls = ["/", "/news"].`}},
		},
		{
			name: "warm_up with no urls",
			src:  serviceWith("  warm_up {\n    urls = []\n  }\n"),
			want: []wantDiag{{6, 12, "No warm-up URLs; List at least one path"}},
		},
		{
			name: "warm_up urls that are not paths",
			src:  serviceWith("  warm_up {\n    urls = [\"/\", \"news\", \"http://a.test/\"]\n  }\n"),
			want: []wantDiag{
				{6, 18, `Invalid warm-up URL; "news" must start with "/"`},
				{6, 26, `"http://a.test/" must start with "/"`},
			},
		},
		{
			name: "warm_up numbers out of range",
			src: serviceWith(`  warm_up {
    urls              = ["/"]
    rounds            = 0
    max_latency_ratio = 0.9
    timeout           = "0s"
  }
`),
			want: []wantDiag{
				{7, 25, "Invalid rounds; rounds must be from 1 to 1000; it is 0."},
				{8, 25, "Invalid max_latency_ratio; max_latency_ratio must be at least 1, since a new slot cannot be asked to be faster than the live one; it is 0.9."},
				{9, 25, "The duration must be greater than zero"},
			},
		},
		{
			name: "two warm_up blocks",
			src:  serviceWith("  warm_up {\n    urls = [\"/\"]\n  }\n  warm_up {\n    urls = [\"/\"]\n  }\n"),
			want: []wantDiag{{8, 3, "Only one warm_up block is allowed here; the first is at {file}:5"}},
		},
		{
			name: "rollback error_rate zero",
			src:  serviceWith("  rollback_when {\n    error_rate = 0\n  }\n"),
			want: []wantDiag{{6, 18, "Invalid error_rate; error_rate is a share of requests, above 0 and at most 1, such as 0.02 for 2%; it is 0."}},
		},
		{
			name: "rollback error_rate as a percentage",
			src:  serviceWith("  rollback_when {\n    error_rate = 2\n  }\n"),
			want: []wantDiag{{6, 18, "such as 0.02 for 2%; it is 2."}},
		},
		{
			name: "rollback error_rate as a string",
			src:  serviceWith("  rollback_when {\n    error_rate = \"2%\"\n  }\n"),
			want: []wantDiag{{6, 19, "a number is required"}},
		},
		{
			name: "rollback min_requests zero",
			src:  serviceWith("  rollback_when {\n    min_requests = 0\n  }\n"),
			want: []wantDiag{{6, 20, "Invalid min_requests; min_requests must be at least 1; it is 0."}},
		},
		{
			name: "two rollback_when blocks",
			src:  serviceWith("  rollback_when {\n  }\n  rollback_when {\n  }\n"),
			want: []wantDiag{{7, 3, "Only one rollback_when block is allowed here; the first is at {file}:5"}},
		},
		{
			name: "maintenance page missing",
			src:  serviceWith("  maintenance {\n    page = \"maintenance.html\"\n  }\n"),
			want: []wantDiag{{6, 12, "Cannot read maintenance page; stat {dir}/maintenance.html: no such file or directory. Write the path of an HTML file"}},
		},
		{
			name: "maintenance page is a directory",
			src:  serviceWith("  maintenance {\n    page = \"" + filepath.Join(pages, "dir") + "\"\n  }\n"),
			want: []wantDiag{{6, 12, "Maintenance page is not a file; " + filepath.Join(pages, "dir") + " is not a regular file."}},
		},
		{
			name: "maintenance page too large",
			src:  serviceWith("  maintenance {\n    page = \"" + tooLarge + "\"\n  }\n"),
			want: []wantDiag{{6, 12, "Maintenance page too large; " + tooLarge + " is over 1048576 bytes"}},
		},
		{
			name: "maintenance page with a template syntax error",
			src:  serviceWith("  maintenance {\n    page = \"" + badSyntax + "\"\n  }\n"),
			want: []wantDiag{{6, 12, "Invalid maintenance page; " + badSyntax + ` is not a valid html/template: template: syntax.html:1: bad character U+007D '}'. Fix the page; it may use {{.Message}}`}},
		},
		{
			name: "maintenance page with a misspelt field",
			src:  serviceWith("  maintenance {\n    page = \"" + badField + "\"\n  }\n"),
			want: []wantDiag{{6, 12, "can't evaluate field Mesage"}},
		},
		{
			name: "maintenance page that html/template cannot escape",
			src:  serviceWith("  maintenance {\n    page = \"" + badContext + "\"\n  }\n"),
			want: []wantDiag{{6, 12, "ends in a non-text context"}},
		},
		{
			name: "maintenance page empty",
			src:  serviceWith("  maintenance {\n    page = \"\"\n  }\n"),
			want: []wantDiag{{6, 12, "Empty path"}},
		},
		{
			name: "maintenance retry_after below a second",
			src:  serviceWith("  maintenance {\n    retry_after = \"500ms\"\n  }\n"),
			want: []wantDiag{{6, 19, `Invalid retry_after; retry_after must be at least 1s, since the Retry-After header counts whole seconds; it is 500ms. Write such as "5m".`}},
		},
		{
			name: "two maintenance blocks",
			src:  serviceWith("  maintenance {\n  }\n  maintenance {\n    retry_after = \"0s\"\n  }\n"),
			want: []wantDiag{
				{7, 3, "Only one maintenance block is allowed here; the first is at {file}:5"},
				{8, 19, "The duration must be greater than zero"},
			},
		},
		{
			name: "migrate without command",
			src:  serviceWith("  migrate {\n    timeout = \"1h\"\n  }\n"),
			want: []wantDiag{{5, 3, `Missing command; The migrate block needs the command that migrates the data, such as command = ["bin/migrate"]`}},
		},
		{
			name: "migrate with an empty command",
			src:  serviceWith("  migrate {\n    command = []\n  }\n"),
			want: []wantDiag{{6, 15, `Empty command; List the program and its arguments, such as command = ["bin/migrate"].`}},
		},
		{
			name: "migrate env with bad and reserved names",
			src:  serviceWith("  migrate {\n    command = [\"bin/migrate\"]\n    env     = { \"A-B\" = \"1\", RELEASE = \"x\" }\n  }\n"),
			want: []wantDiag{
				{7, 17, `"A-B" is not a valid name`},
				{7, 30, "RELEASE is set by deploy"},
			},
		},
		{
			name: "migrate timeout zero",
			src:  serviceWith("  migrate {\n    command = [\"bin/migrate\"]\n    timeout = \"0s\"\n  }\n"),
			want: []wantDiag{{7, 15, "The duration must be greater than zero"}},
		},
		{
			name: "two migrate blocks",
			src:  serviceWith("  migrate {\n    command = [\"bin/migrate\"]\n  }\n  migrate {\n  }\n"),
			want: []wantDiag{
				{8, 3, "Only one migrate block is allowed here; the first is at {file}:5"},
				{8, 3, "Missing command"},
			},
		},
		{
			name: "invalid notify name",
			src:  serviceWith("  notify \"Chat\" {\n    command = [\"bin/notify\"]\n  }\n"),
			want: []wantDiag{{5, 10, `"Chat" cannot be a notify name`}},
		},
		{
			name: "duplicate notify",
			src:  serviceWith("  notify \"chat\" {\n    command = [\"bin/notify\"]\n  }\n  notify \"chat\" {\n    command = [\"bin/notify\"]\n  }\n"),
			want: []wantDiag{{8, 10, `Duplicate notify; Service "a" already has a notify "chat" (first defined at {file}:5)`}},
		},
		{
			name: "notify without a target",
			src:  serviceWith("  notify \"chat\" {\n    events = [\"switch\"]\n  }\n"),
			want: []wantDiag{{5, 3, `Missing notify target; Notify "chat" needs a command that is given each event on stdin`}},
		},
		{
			name: "notify with both targets",
			src:  serviceWith("  notify \"chat\" {\n    webhook = \"https://chat.test/x\"\n    command = [\"bin/notify\"]\n  }\n"),
			want: []wantDiag{{7, 15, `Conflicting notify targets; Notify "chat" already has a webhook at {file}:6; a notify block has either a command or a webhook.`}},
		},
		{
			name: "notify with an empty program",
			src:  serviceWith("  notify \"chat\" {\n    command = [\"\"]\n  }\n"),
			want: []wantDiag{{6, 16, `Empty program; The first element of command is the program to run and must not be empty, such as command = ["bin/notify"].`}},
		},
		{
			name: "webhooks that are not absolute http URLs",
			src: serviceWith(`  notify "a" {
    webhook = "ftp://chat.test/x"
  }
  notify "b" {
    webhook = "chat.test/x"
  }
  notify "c" {
    webhook = "http://:80/x"
  }
  notify "d" {
    webhook = "https://chat.test:99999/x"
  }
  notify "e" {
    webhook = "http://[::1/x"
  }
`),
			want: []wantDiag{
				{6, 15, `Invalid webhook; "ftp://chat.test/x" is not an absolute http or https URL. Write one such as "https://chat.example.org/hooks/deploy".`},
				{9, 15, `"chat.test/x" is not an absolute http or https URL`},
				{12, 15, `"http://:80/x" is not an absolute`},
				{15, 15, `"https://chat.test:99999/x" is not an absolute`},
				{18, 15, `"http://[::1/x" is not an absolute`},
			},
		},
		{
			name: "notify with no events",
			src:  serviceWith("  notify \"chat\" {\n    command = [\"bin/notify\"]\n    events  = []\n  }\n"),
			want: []wantDiag{{7, 15, "No events; List the events to be told about"}},
		},
		{
			name: "notify with unknown and repeated events",
			src:  serviceWith("  notify \"chat\" {\n    command = [\"bin/notify\"]\n    events  = [\"switch\", \"deploy\", \"switch\"]\n  }\n"),
			want: []wantDiag{
				{7, 26, `Unknown event; "deploy" is not an event; the events are "switch", "rollback", "release", "release_failed".`},
				{7, 36, `Duplicate event; "switch" is already listed at {file}:7; remove one.`},
			},
		},
		{
			name: "notify timeout not a duration",
			src:  serviceWith("  notify \"chat\" {\n    command = [\"bin/notify\"]\n    timeout = \"10\"\n  }\n"),
			want: []wantDiag{{7, 15, `"10" is not a duration`}},
		},
	})
}
