package orchestrator

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"deploy/config"
	"deploy/plugins"
)

var testSchema = plugins.Schema{Attributes: []plugins.Attribute{
	{Name: "user", Type: "string", Required: true},
	{Name: "retries", Type: "number"},
	{Name: "tags", Type: "list(string)"},
	{Name: "env", Type: "map(string)"},
	{Name: "verbose", Type: "bool"},
}}

// parseSettings parses src as a config file and returns the settings of
// its first attribute (an object expression) or first block (a body).
func parseSettings(t *testing.T, src string) config.PluginSettings {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "deploy.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	body := f.Body.(*hclsyntax.Body)
	if len(body.Blocks) > 0 {
		return config.PluginSettings{Body: body.Blocks[0].Body}
	}
	for _, a := range body.Attributes {
		return config.PluginSettings{Expr: a.Expr}
	}
	t.Fatal("no settings in the source")
	return config.PluginSettings{}
}

func TestDecodeSettings_SendsPlainValuesThatMatchTheSchema(t *testing.T) {
	for _, src := range []string{
		`config = { user = "admin", retries = 3, tags = ["a", "b"], env = { A = "1" }, verbose = true }`,
		"driver_config {\n  user = \"admin\"\n  retries = 3\n  tags = [\"a\", \"b\"]\n  env = { A = \"1\" }\n  verbose = true\n}\n",
	} {
		got, diags := decodeSettings(testSchema, parseSettings(t, src))
		if diags.HasErrors() {
			t.Fatalf("%s: %v", src, diags)
		}
		if got["user"] != "admin" || got["retries"] != float64(3) || got["verbose"] != true ||
			len(got["tags"].([]any)) != 2 || got["env"].(map[string]any)["A"] != "1" {
			t.Errorf("%s: decoded %#v", src, got)
		}
	}
	got, diags := decodeSettings(testSchema, parseSettings(t, `config = { user = "admin" }`))
	if diags.HasErrors() || len(got) != 1 {
		t.Errorf("unset optional settings must be left out: %#v %v", got, diags)
	}
}

func TestDecodeSettings_PointsAtTheOffendingSetting(t *testing.T) {
	for _, tc := range []struct {
		src, want string
		line, col int
	}{
		{`config = { user = "admin", colour = "red" }`, `Unsupported plugin setting; The plugin takes no setting "colour"`, 1, 28},
		{`config = { user = "admin", retries = "many" }`, `Invalid plugin setting; Setting "retries" must be a number`, 1, 38},
		{`config = { retries = 1 }`, `Missing plugin setting; The plugin needs the setting "user"`, 1, 10},
		{"driver_config {\n  user = \"admin\"\n  colour = \"red\"\n}\n", `Unsupported argument`, 3, 3},
		{"driver_config {\n  retries = 2\n}\n", `Missing required argument`, 1, 15},
	} {
		_, diags := decodeSettings(testSchema, parseSettings(t, tc.src))
		if !diags.HasErrors() {
			t.Errorf("%q: no error", tc.src)
			continue
		}
		d := diags[0]
		text := d.Summary + "; " + d.Detail
		if !strings.Contains(text, tc.want) || d.Subject == nil || d.Subject.Start.Line != tc.line || d.Subject.Start.Column != tc.col {
			t.Errorf("%q: got %q at %v, want %q at %d,%d", tc.src, text, d.Subject, tc.want, tc.line, tc.col)
		}
	}
	if _, diags := decodeSettings(plugins.Schema{Attributes: []plugins.Attribute{{Name: "x", Type: "tuple"}}}, config.PluginSettings{}); !diags.HasErrors() {
		t.Error("a schema with an unknown type must be refused")
	}
}
