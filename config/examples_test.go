package config

import (
	"path/filepath"
	"testing"
)

// The shipped example configurations must stay valid as the schema grows:
// operators copy them.
func TestExamples_AreValid(t *testing.T) {
	for _, file := range []string{"../examples/demo/deploy.hcl", "../examples/zope/deploy.hcl"} {
		t.Run(filepath.Base(filepath.Dir(file)), func(t *testing.T) {
			cfg, diags, err := Load(file)
			if err != nil {
				t.Fatalf("%s: %v\n%v", file, err, diags)
			}
			if len(cfg.Services) == 0 {
				t.Fatalf("%s: no services", file)
			}
		})
	}
}
