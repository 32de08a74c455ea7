package plugins

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// namePrefix starts every plugin binary's file name, so that a plugin
// directory can hold other files and `ls` shows what is what.
const namePrefix = "deploy-plugin-"

// Find resolves the naming rule: dir/deploy-plugin-<kind>-<name>, an
// executable regular file. The path it returns is absolute, so that a
// later change of working directory does not change which binary runs.
func Find(dir, kind, name string) (string, error) {
	label := fmt.Sprintf("plugin %q (%s)", name, kind)
	if !slices.Contains([]string{KindDriver, KindCheck, KindNotifier}, kind) {
		return "", fmt.Errorf("%s: kind %q is not one of %s, %s, %s", label, kind, KindDriver, KindCheck, KindNotifier)
	}
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return "", fmt.Errorf("%s: a plugin name is a plain file name part, without slashes", label)
	}
	if dir == "" {
		return "", fmt.Errorf("%s: no plugin directory is configured", label)
	}
	base := namePrefix + kind + "-" + name
	path, err := filepath.Abs(filepath.Join(dir, base))
	if err != nil {
		return "", fmt.Errorf("%s: %w", label, err)
	}
	fi, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		return "", fmt.Errorf("%s: there is no %s in %s; install the plugin there under that name", label, base, dir)
	case err != nil:
		return "", fmt.Errorf("%s: %w", label, err)
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("%s: %s is not a regular file", label, path)
	case fi.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("%s: %s is not executable; chmod +x it", label, path)
	}
	return path, nil
}
