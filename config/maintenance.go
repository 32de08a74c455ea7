package config

import (
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
)

// pageData is what the maintenance page is executed with at load, to find
// mistakes that only show when it runs, such as a misspelt field or an
// action in a context html/template cannot escape. The orchestrator renders
// the page with a value of the same shape.
type pageData struct{ Message string }

func (c *checker) maintenance(raws []*rawMaintenance) Maintenance {
	once(c, "maintenance", raws, func(r *rawMaintenance) hcl.Range { return r.DefRange })
	out := Maintenance{RetryAfter: defaultRetryAfter}
	for i, r := range raws {
		m := Maintenance{RetryAfter: defaultRetryAfter}
		if path, st := c.path(r.Page, ""); st == valid {
			if page, ok := c.maintenancePage(path, r.Page.Range()); ok {
				m.Page, m.PageFile = page, path
			}
		}
		if d, st := c.duration(r.RetryAfter, defaultRetryAfter); st == valid && d < minRetryAfter {
			c.add(errorf(r.RetryAfter.Range(), "Invalid retry_after",
				"retry_after must be at least %s, since the Retry-After header counts whole seconds; it is %s. Write such as \"5m\".", minRetryAfter, d))
		} else if st != invalid {
			m.RetryAfter = d
		}
		if i == 0 {
			out = m
		}
	}
	return out
}

// maintenancePage reads the page at path, which must be an html/template of
// at most maxMaintenancePage bytes, and reports at rng why it cannot be
// used.
func (c *checker) maintenancePage(path string, rng hcl.Range) ([]byte, bool) {
	bad := func(summary, detail string, args ...any) ([]byte, bool) {
		c.add(errorf(rng, summary, detail, args...))
		return nil, false
	}
	// A FIFO or device would block the read or never end, so only regular
	// files are read.
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return bad("Cannot read maintenance page",
			"%s. Write the path of an HTML file, relative to the configuration file's directory or absolute.", err)
	case !fi.Mode().IsRegular():
		return bad("Maintenance page is not a file",
			"%s is not a regular file. Write the path of an HTML file, relative to the configuration file's directory or absolute.", path)
	}
	page, err := readUpTo(path, maxMaintenancePage)
	if err != nil {
		return bad("Cannot read maintenance page", "%s. Check that deploy may read it.", err)
	}
	if len(page) > maxMaintenancePage {
		return bad("Maintenance page too large",
			"%s is over %d bytes; the page is held in memory and served from it. Make it smaller, with large images and styles served from elsewhere.", path, maxMaintenancePage)
	}
	tmpl, err := template.New(filepath.Base(path)).Parse(string(page))
	if err == nil {
		err = tmpl.Execute(io.Discard, pageData{Message: "maintenance"})
	}
	if err != nil {
		return bad("Invalid maintenance page",
			"%s is not a valid html/template: %s. Fix the page; it may use {{.Message}} for the message of the maintenance.", path, err)
	}
	return page, true
}

// readUpTo reads at most limit+1 bytes of the file at path, so that a file
// over limit is recognised without reading it all.
func readUpTo(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	page, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return page, nil
}
