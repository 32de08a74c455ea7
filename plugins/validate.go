package plugins

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// The checks every answer passes before the host hands it on. Each returns
// the first broken rule as a sentence about the answer; the caller names
// the plugin and the call. The wire already guarantees valid UTF-8 in
// protobuf strings, but a check costs little and keeps that guarantee ours.

// validateFiles checks a Render answer and returns the files with their
// modes made explicit.
func validateFiles(files []File) ([]File, error) {
	if len(files) > maxFiles {
		return nil, fmt.Errorf("%d files, more than the %d allowed", len(files), maxFiles)
	}
	out := make([]File, 0, len(files))
	seen := make(map[string]bool, len(files))
	total := 0
	for i, f := range files {
		if err := validatePath(f.Path); err != nil {
			return nil, fmt.Errorf("file %d: %w", i+1, err)
		}
		if seen[f.Path] {
			return nil, fmt.Errorf("file %d: %q comes twice", i+1, f.Path)
		}
		seen[f.Path] = true
		if f.Mode&^0o777 != 0 {
			return nil, fmt.Errorf("file %q: mode %#o has bits beyond 0777 (setuid, setgid, sticky or a file type)", f.Path, f.Mode)
		}
		if f.Mode == 0 {
			f.Mode = 0o644
		}
		if len(f.Data) > maxFileBytes {
			return nil, fmt.Errorf("file %q: %d bytes, more than the %d MiB a file may have", f.Path, len(f.Data), maxFileBytes>>20)
		}
		total += len(f.Data)
		if total > maxRenderBytes {
			return nil, fmt.Errorf("files add up to more than %d MiB (at %q)", maxRenderBytes>>20, f.Path)
		}
		out = append(out, f)
	}
	return out, nil
}

// validatePath accepts only a clean relative path that stays inside the
// stack directory, so that writing the file cannot touch anything else.
func validatePath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty path")
	case strings.IndexByte(p, 0) >= 0:
		return fmt.Errorf("path %q contains a NUL byte", p)
	case !utf8.ValidString(p):
		return fmt.Errorf("path %q is not valid UTF-8", p)
	case len(p) > 4096:
		return fmt.Errorf("path of %d bytes is too long", len(p))
	case filepath.IsAbs(p):
		return fmt.Errorf("path %q is absolute; paths are relative to the stack directory", p)
	case filepath.Clean(p) != p:
		return fmt.Errorf("path %q is not clean (it would be %q)", p, filepath.Clean(p))
	case slices.Contains(strings.Split(p, "/"), ".."):
		return fmt.Errorf("path %q leaves the stack directory", p)
	case p == ".":
		return fmt.Errorf("path %q is the stack directory itself", p)
	}
	return nil
}

// validateCommand checks what a driver says to run: a program and
// arguments that exec can take as they are, and an environment that cannot
// smuggle a second variable into one entry.
func validateCommand(argv []string, env map[string]string) error {
	if len(argv) == 0 {
		return fmt.Errorf("empty argv; the first element must be the program")
	}
	if argv[0] == "" {
		return fmt.Errorf("argv[0] is empty; it must be the program")
	}
	if len(argv) > maxArgs || len(env) > maxArgs {
		return fmt.Errorf("%d arguments and %d environment entries, more than the %d allowed", len(argv), len(env), maxArgs)
	}
	for i, a := range argv {
		if err := checkExecText(fmt.Sprintf("argv[%d]", i), a); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same answer gets the same complaint
	for _, k := range keys {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("environment name %q is empty or contains '=' or NUL", k)
		}
		if err := checkExecText(fmt.Sprintf("environment name %q", k), k); err != nil {
			return err
		}
		if err := checkExecText(fmt.Sprintf("environment value of %s", k), env[k]); err != nil {
			return err
		}
	}
	return nil
}

// checkExecText holds a string bound for exec to UTF-8 without NUL, which
// exec would otherwise cut or refuse far from the plugin that sent it.
func checkExecText(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%s contains a NUL byte", what)
	}
	return checkText(what, s)
}

// checkText holds a string shown to people or written to logs to valid
// UTF-8 of at most maxTextBytes.
func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	if len(s) > maxTextBytes {
		return fmt.Errorf("%s has %d bytes, more than the %d KiB allowed", what, len(s), maxTextBytes>>10)
	}
	return nil
}

// validateCheckResult checks a check plugin's verdict.
func validateCheckResult(r CheckResult) error {
	if err := checkText("message", r.Message); err != nil {
		return err
	}
	if r.Duration < 0 {
		return fmt.Errorf("negative duration %s", r.Duration)
	}
	if len(r.Details) > maxDetails {
		return fmt.Errorf("%d details, more than the %d allowed", len(r.Details), maxDetails)
	}
	for k, v := range r.Details {
		if err := checkText("detail name", k); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("detail %q", k), v); err != nil {
			return err
		}
	}
	return nil
}

// validateInfo checks a plugin's description of itself; an empty kind is
// the kind that answered.
func validateInfo(in Info, kind string) (Info, error) {
	for what, s := range map[string]string{"name": in.Name, "kind": in.Kind, "version": in.Version, "description": in.Description} {
		if err := checkText(what, s); err != nil {
			return Info{}, err
		}
	}
	if in.Kind == "" {
		in.Kind = kind
	}
	if in.Kind != kind {
		return Info{}, fmt.Errorf("it says it is a %q plugin, but it is configured as a %s", in.Kind, kind)
	}
	return in, nil
}

// attributeTypes are the setting types a schema may use; the host can
// check them in a configuration file.
var attributeTypes = []string{"string", "number", "bool", "list(string)", "map(string)"}

// validateSchema checks the settings a plugin says it accepts, so that a
// configuration is never checked against a schema that makes no sense.
func validateSchema(s Schema) error {
	if len(s.Attributes) > maxAttributes {
		return fmt.Errorf("%d attributes, more than the %d allowed", len(s.Attributes), maxAttributes)
	}
	seen := make(map[string]bool, len(s.Attributes))
	for i, a := range s.Attributes {
		if a.Name == "" || len(a.Name) > maxNameBytes || !utf8.ValidString(a.Name) || strings.ContainsFunc(a.Name, isControl) {
			return fmt.Errorf("attribute %d: name %q must be 1 to %d bytes of printable UTF-8", i+1, a.Name, maxNameBytes)
		}
		if seen[a.Name] {
			return fmt.Errorf("attribute %q comes twice", a.Name)
		}
		seen[a.Name] = true
		if !slices.Contains(attributeTypes, a.Type) {
			return fmt.Errorf("attribute %q: type %q is not one of %s", a.Name, a.Type, strings.Join(attributeTypes, ", "))
		}
		if err := checkText(fmt.Sprintf("description of %q", a.Name), a.Description); err != nil {
			return err
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
