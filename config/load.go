package config

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Load reads and validates the configuration file at path.
//
// The error is non-nil when the file cannot be read (a wrapped os error) or
// when the configuration has errors; then the Config is nil and the error is
// the returned *Diagnostics. The *Diagnostics is non-nil whenever there is
// any diagnostic, warnings included, so that callers can print warnings of a
// configuration that loaded.
func Load(path string) (*Config, *Diagnostics, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(src, path)
}

// Parse validates configuration source. filename names the source in
// diagnostics, and relative paths in the configuration resolve against its
// directory. The results are as for Load.
func Parse(src []byte, filename string) (*Config, *Diagnostics, error) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	d := &Diagnostics{Files: map[string]*hcl.File{filename: file}}

	// Checking the contents of a file that failed to parse would mostly
	// report echoes of the syntax error, so stop at syntax errors, and at
	// numbers that would take minutes to evaluate.
	if !diags.HasErrors() {
		diags = append(diags, checkNumberLiterals(file.Body)...)
	}
	d.Diags = diags
	if diags.HasErrors() {
		return finish(nil, d)
	}

	abs, err := filepath.Abs(filename)
	if err != nil {
		// Only possible when the working directory is gone; it is reported
		// like any other problem so that err and diagnostics agree.
		d.Diags = append(d.Diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot resolve configuration path",
			Detail:   fmt.Sprintf("%s: %s. Run deploy from an existing directory or pass an absolute path.", filename, err),
		})
		return finish(nil, d)
	}

	var raw rawFile
	d.Diags = append(d.Diags, gohcl.DecodeBody(file.Body, nil, &raw)...)
	c := &checker{dir: filepath.Dir(abs)}
	cfg := c.file(&raw, abs, file.Body.MissingItemRange())
	d.Diags = append(d.Diags, c.diags...)
	return finish(cfg, d)
}

// finish sorts the diagnostics and shapes the three results so that err is
// non-nil exactly when there is an error diagnostic.
func finish(cfg *Config, d *Diagnostics) (*Config, *Diagnostics, error) {
	sortDiagnostics(d.Diags)
	switch {
	case d.HasErrors():
		return nil, d, d
	case len(d.Diags) == 0:
		return cfg, nil, nil
	default:
		return cfg, d, nil
	}
}
