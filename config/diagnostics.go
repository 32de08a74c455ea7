package config

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Diagnostics holds every diagnostic of one load (errors and warnings) and the
// parsed files, so they can be printed with source snippets.
//
// A *Diagnostics is also the error Load and Parse return when the
// configuration has errors. Its methods accept a nil receiver.
type Diagnostics struct {
	Diags hcl.Diagnostics
	Files map[string]*hcl.File
}

// HasErrors reports whether any diagnostic is an error.
func (d *Diagnostics) HasErrors() bool {
	return d != nil && d.Diags.HasErrors()
}

// Write prints every diagnostic with a source snippet, wrapped at 100
// columns, in ANSI color when color is true. Each starts with its
// "FILE:LINE,COL:" location, which HCL's own layout leaves out (it names only
// the line) and which editors and terminals can jump to.
func (d *Diagnostics) Write(w io.Writer, color bool) error {
	if d == nil {
		return nil
	}
	tw := hcl.NewDiagnosticTextWriter(w, d.Files, 100, color)
	for _, diag := range d.Diags {
		if s := diag.Subject; s != nil {
			if _, err := fmt.Fprintf(w, "%s:%d,%d: ", s.Filename, s.Start.Line, s.Start.Column); err != nil {
				return err
			}
		}
		if err := tw.WriteDiagnostic(diag); err != nil {
			return err
		}
	}
	return nil
}

// Error describes the first error on one line, "FILE:LINE,COL: SUMMARY; DETAIL",
// and says how many more errors there are; Write prints all of them.
func (d *Diagnostics) Error() string {
	if d == nil {
		return "no configuration errors"
	}
	var first *hcl.Diagnostic
	n := 0
	for _, diag := range d.Diags {
		if diag.Severity != hcl.DiagError {
			continue
		}
		if first == nil {
			first = diag
		}
		n++
	}
	if first == nil {
		return "no configuration errors"
	}
	var b strings.Builder
	if first.Subject != nil {
		fmt.Fprintf(&b, "%s:%d,%d: ", first.Subject.Filename, first.Subject.Start.Line, first.Subject.Start.Column)
	}
	b.WriteString(first.Summary)
	if first.Detail != "" {
		b.WriteString("; ")
		b.WriteString(first.Detail)
	}
	switch more := n - 1; more {
	case 0:
	case 1:
		b.WriteString(" (and 1 more error)")
	default:
		fmt.Fprintf(&b, " (and %d more errors)", more)
	}
	return b.String()
}

// sortDiagnostics puts diagnostics in file order, so that a reader works
// through them top to bottom; diagnostics without a location come first
// because they concern the file as a whole.
func sortDiagnostics(diags hcl.Diagnostics) {
	slices.SortStableFunc(diags, func(a, b *hcl.Diagnostic) int {
		switch {
		case a.Subject == nil && b.Subject == nil:
			return 0
		case a.Subject == nil:
			return -1
		case b.Subject == nil:
			return 1
		}
		return cmp.Or(
			cmp.Compare(a.Subject.Filename, b.Subject.Filename),
			cmp.Compare(a.Subject.Start.Byte, b.Subject.Start.Byte),
		)
	})
}

// errorf and warnf build diagnostics; every diagnostic of this package has a
// subject so that it can be shown with its source line.
func errorf(subject hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  subject.Ptr(),
	}
}

func warnf(subject hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	d := errorf(subject, summary, detail, args...)
	d.Severity = hcl.DiagWarning
	return d
}

// where formats a range as "FILE:LINE" for details that point at a second
// place, such as the first definition of a duplicate.
func where(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}
