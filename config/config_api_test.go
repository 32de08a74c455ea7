package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoad_ReadsTheAPIBlockWithItsTokenFromAFileOrInline(t *testing.T) {
	dir := shortTempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "api.token"), []byte("0123456789abcdef0123\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "deploy.hcl")
	src := "controller {\n  api {\n    listen     = \"127.0.0.1:9902\"\n    token_file = \"api.token\"\n  }\n}\n" + okService
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags, err := Load(path)
	if err != nil || diags != nil {
		t.Fatalf("Load: %v %v", err, diags)
	}
	if a := cfg.Controller.API; a == nil || *a != (API{Listen: "127.0.0.1:9902", Token: "0123456789abcdef0123"}) {
		t.Errorf("api from token_file: %+v", a)
	}

	cfg, _ = mustLoad(t, "controller {\n  api {\n    listen = \"[::1]:9902\"\n    token  = \"fedcba9876543210fedc\"\n  }\n}\n"+okService)
	if a := cfg.Controller.API; a == nil || *a != (API{Listen: "[::1]:9902", Token: "fedcba9876543210fedc"}) {
		t.Errorf("api with an inline token: %+v", a)
	}
}

func TestLoad_WithoutAnAPIBlockTheControlAPIIsOnlyOnTheSocket(t *testing.T) {
	for name, src := range map[string]string{
		"no controller block":          okService,
		"controller block without api": "controller {\n  web { listen = \"127.0.0.1:9900\" }\n}\n" + okService,
	} {
		if cfg, _ := mustLoad(t, src); cfg.Controller.API != nil {
			t.Errorf("%s: api %+v, want nil", name, cfg.Controller.API)
		}
	}
}

func TestParse_BadAPISettingsAreReportedWhereWritten(t *testing.T) {
	runDiagCases(t, []diagCase{
		{
			name: "api without a token",
			src:  "controller {\n  api { listen = \"127.0.0.1:9902\" }\n}\n" + okService,
			want: []wantDiag{{2, 3, "The api block needs token_file"}},
		},
		{
			name: "empty api block",
			src:  "controller {\n  api {}\n}\n" + okService,
			want: []wantDiag{{2, 3, `The api block needs listen = "host:port", such as listen = "127.0.0.1:9902"`}, {2, 3, "without a token anyone who reaches the port"}},
		},
		{
			name: "listen without a port",
			src:  "controller {\n  api {\n    listen = \"localhost\"\n    token  = \"0123456789abcdef\"\n  }\n}\n" + okService,
			want: []wantDiag{{3, 14, `"localhost" is not a "host:port" address`}},
		},
		{
			name: "short token",
			src:  "controller {\n  api {\n    listen = \"127.0.0.1:9902\"\n    token  = \"secret\"\n  }\n}\n" + okService,
			want: []wantDiag{{4, 14, "at least 16 characters"}},
		},
		{
			name: "empty token",
			src:  "controller {\n  api {\n    listen = \"127.0.0.1:9902\"\n    token  = \"\"\n  }\n}\n" + okService,
			want: []wantDiag{{4, 14, "at least 16 characters"}},
		},
		{
			name: "token and token_file",
			src:  "controller {\n  api {\n    listen = \"127.0.0.1:9902\"\n    token = \"0123456789abcdef\"\n    token_file = \"t\"\n  }\n}\n" + okService,
			want: []wantDiag{{5, 18, "Write the token of the control API once"}},
		},
		{
			name: "missing token file",
			src:  "controller {\n  api {\n    listen = \"127.0.0.1:9902\"\n    token_file = \"nope\"\n  }\n}\n" + okService,
			want: []wantDiag{{4, 18, "Write the path of a file holding the token"}},
		},
		{
			name: "two api blocks",
			src:  "controller {\n  api {\n    listen = \"127.0.0.1:9902\"\n    token = \"0123456789abcdef\"\n  }\n  api { listen = \"127.0.0.1:9903\" }\n}\n" + okService,
			want: []wantDiag{{6, 3, "Only one api block is allowed here"}, {6, 3, "The api block needs token_file"}},
		},
		{
			name: "api port taken by a slot",
			src:  "controller {\n  api {\n    listen = \"127.0.0.1:7001\"\n    token = \"0123456789abcdef\"\n  }\n}\n" + okService,
			want: []wantDiag{{10, 29, `controller api listen address "127.0.0.1:7001"`}},
		},
		{
			name: "api in a repeated controller block",
			src:  "controller {}\ncontroller {\n  api {}\n}\n" + okService,
			want: []wantDiag{{2, 1, "Only one controller block is allowed here"}, {3, 3, "The api block needs listen"}, {3, 3, "The api block needs token_file"}},
		},
	})
}
