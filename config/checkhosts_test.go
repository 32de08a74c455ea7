package config

import (
	"path/filepath"
	"testing"
)

func TestParse_WarnsOfCheckHostsThatRouteToAnotherServiceOrNone(t *testing.T) {
	src := `
service "www" {
  hosts = ["www.test"]
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
  check "own" {
    http {
      host = "WWW.test"
    }
  }
  check "other" {
    http {
      host = "shop.test"
    }
  }
  check "nobody" {
    http {
      host = "gone.test"
    }
  }
}
service "shop" {
  hosts = ["shop.test"]
  slot "blue" { base_port = 9201 }
  stack { command = ["app"] }
}
`
	cfg, diags, err := Parse([]byte(src), filepath.Join(t.TempDir(), "deploy.hcl"))
	if err != nil || cfg == nil {
		t.Fatalf("warnings must not fail the load: %v", err)
	}
	want := []struct {
		summary   string
		line, col int
	}{
		{"Check host of another service", 13, 14},
		{"Check host of no service", 18, 14},
	}
	if len(diags.Diags) != len(want) {
		t.Fatalf("got %d diagnostics, want %d: %v", len(diags.Diags), len(want), diags)
	}
	for i, w := range want {
		d := diags.Diags[i]
		if d.Summary != w.summary || d.Subject.Start.Line != w.line || d.Subject.Start.Column != w.col {
			t.Errorf("diagnostic %d = %q at %d,%d; want %q at %d,%d", i, d.Summary, d.Subject.Start.Line, d.Subject.Start.Column, w.summary, w.line, w.col)
		}
	}
}
