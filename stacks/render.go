package stacks

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
)

// Modes of rendered files and of the directories created for them. They are
// set explicitly, whatever the controller's umask, so that rendering the same
// input always gives the same files.
const (
	renderedFileMode = 0o644
	renderedExecMode = 0o755
	renderedDirMode  = 0o755
)

// Template is one file rendered per instance: both Source and Destination are
// relative to the stack directory; Destination is itself a template (e.g.
// "etc/zope-{{.Instance}}.conf").
type Template struct {
	Source      string
	Destination string
}

// TemplateData is what a template sees.
type TemplateData struct {
	Service, Slot string
	Instance      int
	Port          int
	Release       string
	StackDir      string
	VarDir        string
	// ClientName is unique per service+slot+instance and safe as a file name,
	// e.g. "demo-blue-1": ZEO client cache names must never be shared.
	// RenderTemplates fills it in with ClientName when it is empty.
	ClientName string
	// ZEO is nil when the service has no ZEO server; templates use
	// {{with .ZEO}}...{{end}}.
	ZEO *ZEOData
}

// ZEOData describes the service's ZEO server to templates.
type ZEOData struct {
	Address  string   // host:port, or the path of a Unix socket
	Storages []string // names of the storages the instance opens, e.g. "1"
}

// ClientName returns the name an instance uses for its persistent ZEO client
// cache (and anything else that must be its own): "service-slot-instance",
// e.g. "demo-blue-1". Two different instances never get the same name: bytes
// other than ASCII letters, digits, '.' and '-' are written as "_xx" (hex),
// and so is '-' inside the slot, so the last two dashes always separate the
// parts. The result never contains a path separator.
func ClientName(service, slot string, instance int) string {
	return escapeName(service, "-") + "-" + escapeName(slot, "") + "-" + strconv.Itoa(instance)
}

// escapeName keeps ASCII letters, digits, '.' and the bytes in keep, and
// writes every other byte as "_xx".
func escapeName(s, keep string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.',
			strings.IndexByte(keep, c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return b.String()
}

// RenderTemplates renders each template for one instance inside stackDir,
// with text/template and missingkey=error. Every template is rendered before
// anything is written, and all problems are reported at once, each naming the
// template's source file and line ("etc/zope.conf.tmpl:12: ..."), so that a
// mistake in one template leaves no half-rendered stack. Files are written
// only inside stackDir (a Destination that renders to a path outside it is an
// error), atomically, with mode 0644, or 0755 when the source is executable.
func RenderTemplates(stackDir string, templates []Template, data TemplateData) error {
	if data.ClientName == "" {
		data.ClientName = ClientName(data.Service, data.Slot, data.Instance)
	}
	// The root confines every read and write to stackDir, symbolic links
	// included: a link in a release pointing at /etc must not let a template
	// overwrite a system file.
	root, err := os.OpenRoot(stackDir)
	if err != nil {
		return fmt.Errorf("render templates: %w", err)
	}
	defer root.Close()
	files, err := renderAll(root, templates, data)
	if err != nil {
		return fmt.Errorf("render templates in %s: %w", stackDir, err)
	}
	for _, f := range files {
		if err := writeAtomic(root, f); err != nil {
			return fmt.Errorf("render templates in %s: write %s: %w", stackDir, f.path, err)
		}
	}
	return nil
}

// renderedFile is a rendered template waiting to be written.
type renderedFile struct {
	path    string // clean, relative to the stack directory
	content []byte
	mode    fs.FileMode
}

// renderAll renders every template and checks that no two of them write the
// same file and that none overwrites a template source (which would break the
// next instance's rendering).
func renderAll(root *os.Root, templates []Template, data TemplateData) ([]renderedFile, error) {
	sources := make(map[string]bool, len(templates))
	for _, t := range templates {
		sources[filepath.Clean(t.Source)] = true
	}
	var (
		errs  []error
		files []renderedFile
		from  = make(map[string]string, len(templates)) // destination → its source
	)
	for _, t := range templates {
		f, err := renderFile(root, t, data)
		switch {
		case err != nil:
			errs = append(errs, err)
		case from[f.path] != "":
			errs = append(errs, fmt.Errorf("%s: destination %s is also rendered from %s", t.Source, f.path, from[f.path]))
		case sources[f.path]:
			errs = append(errs, fmt.Errorf("%s: destination %s would overwrite a template source", t.Source, f.path))
		default:
			from[f.path] = t.Source
			files = append(files, f)
		}
	}
	return files, errors.Join(errs...)
}

// renderFile renders one template's content and destination.
func renderFile(root *os.Root, t Template, data TemplateData) (renderedFile, error) {
	if !filepath.IsLocal(t.Source) {
		return renderedFile{}, fmt.Errorf("template source %q is not a path inside the stack directory", t.Source)
	}
	text, mode, err := readSource(root, t.Source)
	if err != nil {
		// A PathError would repeat the name, as "openat NAME".
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return renderedFile{}, fmt.Errorf("template %s: %w", t.Source, err)
	}
	content, err := execute(t.Source, text, data)
	if err != nil {
		return renderedFile{}, err
	}
	path, err := RenderDestination(t, data)
	if err != nil {
		return renderedFile{}, err
	}
	return renderedFile{path: path, content: content, mode: mode}, nil
}

// RenderDestination returns the path, relative to the stack directory, that
// a template renders to for one instance.
func RenderDestination(t Template, data TemplateData) (string, error) {
	dest, err := execute("destination of "+t.Source, t.Destination, data)
	if err != nil {
		return "", err
	}
	// IsLocal refuses "", absolute paths and any ".." that climbs out; the
	// root would refuse them too, but this error says which template it was.
	path := string(dest)
	if !filepath.IsLocal(path) || filepath.Clean(path) == "." {
		return "", fmt.Errorf("%s: destination %q is not a file inside the stack directory", t.Source, path)
	}
	return filepath.Clean(path), nil
}

// readSource reads a template and decides the rendered file's mode from it:
// a rendered start script must stay runnable.
func readSource(root *os.Root, name string) (string, fs.FileMode, error) {
	f, err := root.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("not a regular file")
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return "", 0, err
	}
	mode := fs.FileMode(renderedFileMode)
	if fi.Mode().Perm()&0o111 != 0 {
		mode = renderedExecMode
	}
	return string(b), mode, nil
}

// execute parses and runs one template named name (the source path, which
// text/template puts in its errors together with the line).
func execute(name, text string, data any) ([]byte, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, templateError{err}
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, templateError{err}
	}
	return buf.Bytes(), nil
}

// templateError drops text/template's "template: " prefix, so that the
// message starts with file:line like a compiler's.
type templateError struct{ err error }

func (e templateError) Error() string { return strings.TrimPrefix(e.err.Error(), "template: ") }
func (e templateError) Unwrap() error { return e.err }

// writeAtomic writes f through a temporary file in the same directory and a
// rename, so that an instance never reads a half-written configuration.
func writeAtomic(root *os.Root, f renderedFile) (err error) {
	dir := filepath.Dir(f.path)
	if err := root.MkdirAll(dir, renderedDirMode); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+filepath.Base(f.path)+".tmp-"+rand.Text()[:10])
	w, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = root.Remove(tmp)
		}
	}()
	_, err = w.Write(f.content)
	err = errors.Join(err, w.Chmod(f.mode), w.Sync(), w.Close())
	if err != nil {
		return err
	}
	if err := root.Rename(tmp, f.path); err != nil {
		return err
	}
	return syncDir(root, dir)
}

// syncDir makes a rename in dir durable.
func syncDir(root *os.Root, dir string) error {
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
