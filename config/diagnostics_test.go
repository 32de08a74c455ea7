package config

import (
	"strings"
	"testing"
)

const twoErrors = `service "a" {
  default   = true
  instances = 0
  slot "blue" { base_port = 9101 }
  stack { command = [] }
}
`

func TestDiagnostics_WriteShowsLocationAndSourceLine(t *testing.T) {
	_, diags, err := Parse([]byte(twoErrors), "site/deploy.hcl")
	if err == nil {
		t.Fatal("Parse succeeded; want errors")
	}
	var b strings.Builder
	if err := diags.Write(&b, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"site/deploy.hcl:3,15: Error: Invalid instances",
		"   3:   instances = 0",
		"instances must be from 1 to 64; it is 0.",
		"site/deploy.hcl:5,21: Error: Empty command",
		"   5:   stack { command = [] }",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDiagnostics_ErrorIsTheFirstErrorOnOneLine(t *testing.T) {
	_, _, err := Parse([]byte(twoErrors), "deploy.hcl")
	if err == nil {
		t.Fatal("Parse succeeded; want errors")
	}
	want := "deploy.hcl:3,15: Invalid instances; instances must be from 1 to 64; it is 0. (and 1 more error)"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q\nwant      %q", got, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Error("Error() spans several lines")
	}
}

func TestDiagnostics_SyntaxErrorStopsBeforeValidation(t *testing.T) {
	cfg, diags, err := Parse([]byte("service \"a\" {\n  hosts = [\n"), "deploy.hcl")
	if err == nil || cfg != nil || !diags.HasErrors() {
		t.Fatalf("got cfg %v, err %v; want a syntax error", cfg, err)
	}
	for _, d := range diags.Diags {
		if d.Summary == "Missing stack block" {
			t.Errorf("validation ran on a file that did not parse: %s", d.Summary)
		}
	}
}

func TestDiagnostics_NilIsEmpty(t *testing.T) {
	var d *Diagnostics
	if d.HasErrors() {
		t.Error("nil HasErrors() = true")
	}
	var b strings.Builder
	if err := d.Write(&b, true); err != nil || b.Len() != 0 {
		t.Errorf("nil Write wrote %q, %v", b.String(), err)
	}
}
