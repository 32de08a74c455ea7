package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad_WebMetricsAndAccessLogBlocks(t *testing.T) {
	dir := shortTempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "web.token"), []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "deploy.hcl")
	src := `controller {
  web {
    listen     = "127.0.0.1:9900"
    token_file = "web.token"
  }
  metrics { listen = "127.0.0.1:9901" }
}
proxy {
  access_log {
    path   = "logs/access.log"
    sample = 0.25
  }
}
` + okService
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags, err := Load(path)
	if err != nil || diags != nil {
		t.Fatalf("Load: %v %v", err, diags)
	}
	if w := cfg.Controller.Web; w == nil || w.Listen != "127.0.0.1:9900" || w.Token != "0123456789abcdef0123" {
		t.Errorf("web: %+v", w)
	}
	if m := cfg.Controller.Metrics; m == nil || m.Listen != "127.0.0.1:9901" {
		t.Errorf("metrics: %+v", m)
	}
	if a := cfg.Proxy.AccessLog; a == nil || a.Path != filepath.Join(dir, "logs/access.log") || a.Sample != 0.25 {
		t.Errorf("access_log: %+v", a)
	}
}

func TestLoad_WithoutTheBlocksEverythingIsOff(t *testing.T) {
	cfg, _ := mustLoad(t, okService)
	if cfg.Controller.Web != nil || cfg.Controller.Metrics != nil || cfg.Proxy.AccessLog != nil {
		t.Fatalf("web %+v metrics %+v access_log %+v, want all off", cfg.Controller.Web, cfg.Controller.Metrics, cfg.Proxy.AccessLog)
	}
}

func TestLoad_AccessLogSampleDefaultsToEveryRequestAndWebWithoutTokenIsReadOnly(t *testing.T) {
	cfg, dir := mustLoad(t, "controller {\n  web { listen = \"127.0.0.1:9900\" }\n}\nproxy {\n  access_log { path = \"a.log\" }\n}\n"+okService)
	if a := cfg.Proxy.AccessLog; a == nil || a.Sample != 1 || a.Path != filepath.Join(dir, "a.log") {
		t.Errorf("access_log: %+v", a)
	}
	if w := cfg.Controller.Web; w == nil || w.Token != "" {
		t.Errorf("web: %+v", w)
	}
}

func TestParse_BadWebMetricsAndAccessLogSettingsAreReportedWhereWritten(t *testing.T) {
	runDiagCases(t, []diagCase{
		{
			name: "web without listen",
			src:  "controller {\n  web {}\n}\n" + okService,
			want: []wantDiag{{2, 3, `The web block needs listen = "host:port"`}},
		},
		{
			name: "metrics listen without a port",
			src:  "controller {\n  metrics { listen = \"localhost\" }\n}\n" + okService,
			want: []wantDiag{{2, 22, `"localhost" is not a "host:port" address`}},
		},
		{
			name: "short token",
			src:  "controller {\n  web {\n    listen = \"127.0.0.1:9900\"\n    token = \"secret\"\n  }\n}\n" + okService,
			want: []wantDiag{{4, 13, "at least 16 characters"}},
		},
		{
			name: "token and token_file",
			src:  "controller {\n  web {\n    listen = \"127.0.0.1:9900\"\n    token = \"0123456789abcdef\"\n    token_file = \"t\"\n  }\n}\n" + okService,
			want: []wantDiag{{5, 18, "Write the token of the status page's buttons once"}},
		},
		{
			name: "missing token file",
			src:  "controller {\n  web {\n    listen = \"127.0.0.1:9900\"\n    token_file = \"nope\"\n  }\n}\n" + okService,
			want: []wantDiag{{4, 18, "Write the path of a file holding the token"}},
		},
		{
			name: "two web blocks",
			src:  "controller {\n  web { listen = \"127.0.0.1:9900\" }\n  web { listen = \"127.0.0.1:9902\" }\n}\n" + okService,
			want: []wantDiag{{3, 3, "Only one web block is allowed here"}},
		},
		{
			name: "web port taken by a slot",
			src:  "controller {\n  web { listen = \"127.0.0.1:7001\" }\n}\n" + okService,
			want: []wantDiag{{7, 29, `controller web listen address "127.0.0.1:7001"`}},
		},
		{
			name: "access_log without path",
			src:  "proxy {\n  access_log { sample = 0.5 }\n}\n" + okService,
			want: []wantDiag{{2, 3, "The access_log block needs path"}},
		},
		{
			name: "sample out of range",
			src:  "proxy {\n  access_log {\n    path = \"a.log\"\n    sample = 0\n  }\n}\n" + okService,
			want: []wantDiag{{4, 14, "more than 0, at most 1 (it is 0)"}},
		},
		{
			name: "sample above one",
			src:  "proxy {\n  access_log {\n    path = \"a.log\"\n    sample = 1.5\n  }\n}\n" + okService,
			want: []wantDiag{{4, 14, "(it is 1.5)"}},
		},
	})
}

func TestParse_TokenFileTooLargeOrNotAFileIsRefused(t *testing.T) {
	dir := shortTempDir(t)
	big := filepath.Join(dir, "big.token")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", maxTokenFile+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string]string{"too large": big, "a directory": dir} {
		t.Run(name, func(t *testing.T) {
			src := "controller {\n  web {\n    listen = \"127.0.0.1:9900\"\n    token_file = \"" + file + "\"\n  }\n}\n" + okService
			_, diags, err := Parse([]byte(src), filepath.Join(dir, "deploy.hcl"))
			if err == nil || !diags.HasErrors() {
				t.Fatalf("Parse accepted a token_file that is %s", name)
			}
		})
	}
}
