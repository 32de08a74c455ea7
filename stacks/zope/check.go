package zope

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"deploy/config"
)

// Sentinel errors of Render; every error names the value it refuses.
var (
	// ErrUnsafeValue: the value would change the syntax of zope.conf or
	// wsgi.ini if written as it is.
	ErrUnsafeValue = errors.New("cannot be written into zope.conf or wsgi.ini")
	// ErrInvalid: the value is out of range or not of the form Zope needs.
	ErrInvalid = errors.New("invalid zope setting")
)

// syntaxChars break a line of one of the two files: in ZConfig "<" and ">"
// open and close sections, "$" substitutes a %define and "%" starts a
// directive; in PasteDeploy's configparser "%" interpolates.
const syntaxChars = "<>$%"

// check validates everything Render writes, and reports all problems at
// once.
func check(z config.Zope, in Instance) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if in.Index < 1 {
		add(fmt.Errorf("instance index %d: must be 1 or more: %w", in.Index, ErrInvalid))
	}
	if in.Port < 1 || in.Port > 65535 {
		add(fmt.Errorf("port %d: must be between 1 and 65535: %w", in.Port, ErrInvalid))
	}
	add(checkAbs("stack dir", in.StackDir))
	add(checkAbs("var dir", in.VarDir))
	add(checkZEOAddress(in.ZEOAddress))
	if z.SharedBlobDir != "" {
		add(checkAbs("shared blob dir", z.SharedBlobDir))
	} else {
		add(checkLocal("blob dir", z.BlobDir))
	}
	if z.CacheSize < 0 {
		add(fmt.Errorf("ZEO cache size %d: must not be negative: %w", z.CacheSize, ErrInvalid))
	}
	if z.ObjectCache < 0 {
		add(fmt.Errorf("object cache %d: must not be negative: %w", z.ObjectCache, ErrInvalid))
	}
	if z.Threads < 0 {
		add(fmt.Errorf("threads %d: must not be negative: %w", z.Threads, ErrInvalid))
	}
	add(checkMounts(z.Mounts))
	return errors.Join(errs...)
}

// checkMounts requires a root database and refuses names and mount points
// that two databases would share. Names are compared without case because
// ZConfig lower-cases section names: "Main" and "main" are one <zodb_db>.
func checkMounts(mounts []config.ZopeMount) error {
	var (
		errs  []error
		names = map[string]string{}
		paths = map[string]string{}
		root  bool
	)
	for _, m := range mounts {
		if err := checkName(m.Name); err != nil {
			errs = append(errs, err)
		} else if prev, dup := names[strings.ToLower(m.Name)]; dup {
			errs = append(errs, fmt.Errorf("mount %q: same database name as mount %q (zope.conf ignores case): %w", m.Name, prev, ErrInvalid))
		} else {
			names[strings.ToLower(m.Name)] = m.Name
		}
		if err := checkMountPoint(m); err != nil {
			errs = append(errs, err)
		} else if prev, dup := paths[m.Path]; dup {
			errs = append(errs, fmt.Errorf("mount %q: mount point %q is also the mount point of %q: %w", m.Name, m.Path, prev, ErrInvalid))
		} else {
			paths[m.Path] = m.Name
		}
		root = root || m.Path == "/"
	}
	if !root {
		errs = append(errs, fmt.Errorf("no mount at \"/\": Zope needs a root database: %w", ErrInvalid))
	}
	return errors.Join(errs...)
}

// checkName allows a storage name to be a ZConfig section name, a ZConfig
// value and one path element of the blob directory: ASCII letters, digits,
// '_', '.' and '-', and neither "." nor "..".
func checkName(name string) error {
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("mount name %q: %w", name, ErrInvalid)
	}
	for _, c := range []byte(name) {
		if !isWordByte(c) {
			return fmt.Errorf("mount name %q: only letters, digits, '_', '.' and '-' are allowed: %w", name, ErrUnsafeValue)
		}
	}
	return nil
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// checkMountPoint: Zope requires a leading slash; whitespace would be cut
// off or split the value.
func checkMountPoint(m config.ZopeMount) error {
	what := fmt.Sprintf("mount point of %q", m.Name)
	if err := checkText(what, m.Path); err != nil {
		return err
	}
	if !strings.HasPrefix(m.Path, "/") || strings.IndexFunc(m.Path, unicode.IsSpace) >= 0 {
		return fmt.Errorf("%s %q: must start with \"/\" and hold no spaces: %w", what, m.Path, ErrInvalid)
	}
	return nil
}

// checkZEOAddress accepts the two forms a ZEO client connects to.
func checkZEOAddress(addr string) error {
	if err := checkText("ZEO address", addr); err != nil {
		return err
	}
	if strings.IndexFunc(addr, unicode.IsSpace) >= 0 {
		return fmt.Errorf("ZEO address %q: must hold no spaces: %w", addr, ErrUnsafeValue)
	}
	if filepath.IsAbs(addr) {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || host == "" || n < 1 || n > 65535 {
		return fmt.Errorf("ZEO address %q: neither host:port nor an absolute socket path: %w", addr, ErrInvalid)
	}
	return nil
}

// checkAbs checks an absolute path.
func checkAbs(what, path string) error {
	if err := checkText(what, path); err != nil {
		return err
	}
	if !filepath.IsAbs(path) {
		return fmt.Errorf("%s %q: must be an absolute path: %w", what, path, ErrInvalid)
	}
	return nil
}

// checkLocal checks a path that must stay inside the var dir.
func checkLocal(what, path string) error {
	if err := checkText(what, path); err != nil {
		return err
	}
	if !filepath.IsLocal(path) {
		return fmt.Errorf("%s %q: must be a relative path inside the var dir: %w", what, path, ErrInvalid)
	}
	return nil
}

// checkText refuses what would break a line of either file: a line break or
// any other control character, the syntax characters, bytes that are not
// UTF-8 (Python reads both files as text), and leading or trailing white
// space (both parsers strip it, so the value read back
// would differ from the one written).
func checkText(what, v string) error {
	if v == "" {
		return fmt.Errorf("%s is empty: %w", what, ErrInvalid)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s %q: not UTF-8: %w", what, v, ErrUnsafeValue)
	}
	if i := strings.IndexFunc(v, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || strings.ContainsRune(syntaxChars, r)
	}); i >= 0 {
		return fmt.Errorf("%s %q: contains %q: %w", what, v, []rune(v[i:])[0], ErrUnsafeValue)
	}
	if strings.TrimSpace(v) != v {
		return fmt.Errorf("%s %q: starts or ends with white space: %w", what, v, ErrUnsafeValue)
	}
	return nil
}
