package main

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"deploy/plugins"
)

// testStack is slot blue of service app with two instances on ZEO, using
// cfg as driver_config.
func testStack(cfg map[string]any) plugins.StackContext {
	return plugins.StackContext{
		Service: "app", Slot: "blue", Release: "r42", StackDir: "/srv/stacks/blue",
		ZEOAddress: "127.0.0.1:8100", ZEOStorages: []string{"main", "session"},
		Instances: []plugins.InstanceContext{
			{Index: 1, Port: 8081, VarDir: "/srv/var/app-blue-1", ClientName: "app-blue-1"},
			{Index: 2, Port: 8082, VarDir: "/srv/var/app-blue-2", ClientName: "app-blue-2"},
		},
		Config: cfg,
	}
}

func gunicornConfig() map[string]any {
	return map[string]any{
		"command": []any{"{stack_dir}/bin/gunicorn", "--bind", "127.0.0.1:{port}", "--pid", "{var_dir}/app.pid", "app:wsgi"},
		"env":     map[string]any{"CACHE_DIR": "{var_dir}/cache", "DSN": "postgres://app:it's $ecret@db/app"},
	}
}

func TestDriver_CommandExpandsArgvAndEnvPerInstance(t *testing.T) {
	t.Parallel()
	sc := testStack(gunicornConfig())
	argv, env, err := (&driver{}).Command(context.Background(), sc, sc.Instances[1])
	if err != nil {
		t.Fatal(err)
	}
	wantArgv := []string{"/srv/stacks/blue/bin/gunicorn", "--bind", "127.0.0.1:8082", "--pid", "/srv/var/app-blue-2/app.pid", "app:wsgi"}
	if !slices.Equal(argv, wantArgv) {
		t.Errorf("argv = %q\nwant   %q", argv, wantArgv)
	}
	wantEnv := map[string]string{
		"PORT": "8082", "INSTANCE": "2", "SERVICE": "app", "SLOT": "blue", "RELEASE": "r42",
		"VAR_DIR": "/srv/var/app-blue-2", "CLIENT_NAME": "app-blue-2",
		"ZEO_ADDRESS": "127.0.0.1:8100", "ZEO_STORAGES": "main session",
		"CACHE_DIR": "/srv/var/app-blue-2/cache", "DSN": "postgres://app:it's $ecret@db/app",
	}
	if !maps.Equal(env, wantEnv) {
		t.Errorf("env = %v\nwant  %v", env, wantEnv)
	}
}

func TestDriver_RenderWritesOneEnvFilePerInstance(t *testing.T) {
	t.Parallel()
	sc := testStack(gunicornConfig())
	files, err := (&driver{}).Render(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("got %d files, want 2: %+v", len(files), files)
	}
	for i, f := range files {
		if want := "deploy/instance-" + string(rune('1'+i)) + ".env"; f.Path != want {
			t.Errorf("file %d path = %q, want %q", i, f.Path, want)
		}
		if f.Mode != 0o640 {
			t.Errorf("file %d mode = %o, want 640", i, f.Mode)
		}
	}
	want := `# Written by deploy for app slot blue, instance 1. Do not edit: deploy rewrites it whenever it renders the stack.
# Load it with: set -a; . ./deploy/instance-1.env; set +a
PORT=8081
INSTANCE=1
SERVICE=app
SLOT=blue
RELEASE=r42
VAR_DIR=/srv/var/app-blue-1
CLIENT_NAME=app-blue-1
ZEO_ADDRESS=127.0.0.1:8100
ZEO_STORAGES='main session'
CACHE_DIR=/srv/var/app-blue-1/cache
DSN='postgres://app:it'\''s $ecret@db/app'
`
	if got := string(files[0].Data); got != want {
		t.Errorf("instance-1.env =\n%s\nwant\n%s", got, want)
	}
}

func TestDriver_EnvFileSourcedBySHGivesTheProcessEnvironment(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	cfg := gunicornConfig()
	cfg["env"].(map[string]any)["TRICKY"] = "a b\t'c' \"d\" `e` $f \\g\nline2 {{port}"
	sc := testStack(cfg)
	files, err := (&driver{}).Render(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "instance-1.env")
	if err := os.WriteFile(path, files[0].Data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, env, err := (&driver{}).Command(context.Background(), sc, sc.Instances[0])
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range env {
		out, err := exec.Command(sh, "-c", `set -a; . "$1"; set +a; eval "v=\${$2}"; printf %s "$v"`, "sh", path, name).Output()
		if err != nil {
			t.Fatalf("source %s: %v", path, err)
		}
		if string(out) != want {
			t.Errorf("$%s after sourcing = %q, want %q", name, out, want)
		}
	}
	if env["TRICKY"] != "a b\t'c' \"d\" `e` $f \\g\nline2 {port}" {
		t.Errorf("TRICKY = %q", env["TRICKY"])
	}
}

func TestDriver_EnvFileCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	cfg := gunicornConfig()
	cfg["env_file"] = false
	files, err := (&driver{}).Render(context.Background(), testStack(cfg))
	if err != nil || len(files) != 0 {
		t.Errorf("Render = %+v, %v; want no files", files, err)
	}
}

func TestDriver_RenderWithoutZEOLeavesItsVariablesOut(t *testing.T) {
	t.Parallel()
	cfg := gunicornConfig()
	cfg["env"].(map[string]any)["ZEO_ADDRESS"] = "zeo.example.org:8100"
	sc := testStack(cfg)
	sc.ZEOAddress, sc.ZEOStorages, sc.Release = "", nil, ""
	files, err := (&driver{}).Render(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	data := string(files[0].Data)
	if strings.Contains(data, "RELEASE=") || strings.Contains(data, "ZEO_STORAGES=") {
		t.Errorf("env file has RELEASE or ZEO_STORAGES without a release or zeo server:\n%s", data)
	}
	if !strings.Contains(data, "\nZEO_ADDRESS=zeo.example.org:8100\n") {
		t.Errorf("env file lacks the configured ZEO_ADDRESS:\n%s", data)
	}
}

func TestDriver_RenderRefusesAnUnknownPlaceholderBeforeAnythingStarts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{"command", map[string]any{"command": []any{"app", "--port={prot}"}},
			`instance 1: command[1] "--port={prot}": unknown placeholder {prot}: use one of {port}, {index}, {var_dir}, {stack_dir}, {client_name}, or write {{ for a literal {`},
		{"env", map[string]any{"command": []any{"app"}, "env": map[string]any{"HOME": "{home}"}},
			`instance 1: env["HOME"]: unknown placeholder {home}`},
	} {
		_, err := (&driver{}).Render(context.Background(), testStack(tc.cfg))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: Render error = %v, want it to start with %q", tc.name, err, tc.want)
		}
		sc := testStack(tc.cfg)
		if _, _, err := (&driver{}).Command(context.Background(), sc, sc.Instances[0]); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: Command error = %v, want it to start with %q", tc.name, err, tc.want)
		}
	}
}

func TestDriver_RefusesSettingsItCannotUse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{}, `setting "command" is missing`},
		{map[string]any{"command": []any{}}, `setting "command" is empty`},
		{map[string]any{"command": "app --port {port}"}, `setting "command" must be a list of strings, not string`},
		{map[string]any{"command": []any{"app", 1.0}}, `command[1] must be a string, not float64`},
		{map[string]any{"command": []any{""}}, `command[0] is empty`},
		{map[string]any{"command": []any{"app"}, "env": []any{"A=b"}}, `setting "env" must be a map of strings`},
		{map[string]any{"command": []any{"app"}, "env": map[string]any{"A": true}}, `env["A"] must be a string, not bool`},
		{map[string]any{"command": []any{"app"}, "env": map[string]any{"MY-VAR": "x"}}, `env["MY-VAR"]: a variable name is`},
		{map[string]any{"command": []any{"app"}, "env": map[string]any{"1X": "x"}}, `env["1X"]: a variable name is`},
		{map[string]any{"command": []any{"app"}, "env": map[string]any{"PORT": "9000"}}, `env["PORT"]: deploy sets PORT itself`},
		{map[string]any{"command": []any{"app"}, "env": map[string]any{"ZEO_ADDRESS": "x:1"}}, `instance 1: env["ZEO_ADDRESS"]: the service's zeo server sets it already`},
		{map[string]any{"command": []any{"app"}, "env_file": "yes"}, `setting "env_file" must be true or false`},
	} {
		_, err := (&driver{}).Render(context.Background(), testStack(tc.cfg))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("config %v: error = %v, want it to start with %q", tc.cfg, err, tc.want)
		}
	}
}

func TestDriver_DescribesItselfAsTheExecDriver(t *testing.T) {
	t.Parallel()
	d := &driver{}
	info, err := d.Info(context.Background())
	if err != nil || info.Name != "exec" || info.Kind != plugins.KindDriver || info.Version == "" {
		t.Errorf("Info = %+v, %v", info, err)
	}
	schema, err := d.ConfigSchema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]plugins.Attribute{}
	for _, a := range schema.Attributes {
		got[a.Name] = a
	}
	for name, want := range map[string]struct {
		typ      string
		required bool
	}{"command": {"list(string)", true}, "env": {"map(string)", false}, "env_file": {"bool", false}} {
		if a, ok := got[name]; !ok || a.Type != want.typ || a.Required != want.required || a.Description == "" {
			t.Errorf("attribute %s = %+v, want type %s, required %v", name, a, want.typ, want.required)
		}
	}
	if len(got) != 3 {
		t.Errorf("schema has %d attributes, want 3", len(got))
	}
}
