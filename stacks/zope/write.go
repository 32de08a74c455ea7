package zope

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"

	"deploy/config"
)

// Modes of the written files (exactly, whatever the controller's umask, so
// that the same input always gives the same files) and of a created etc/.
const (
	fileMode = 0o644
	dirMode  = 0o755
)

// Write renders the instance's files into <VarDir>/etc/zope.conf and
// <VarDir>/etc/wsgi.ini, creating etc/ (and the var dir) as needed, and
// returns their paths. Both are rendered before either is written, and each
// is replaced atomically (temporary file in etc/, fsync, rename, fsync of
// etc/): an instance starting, or a reader holding the old file open, never
// sees half a configuration.
func Write(z config.Zope, in Instance) (Files, error) {
	conf, ini, err := Render(z, in)
	if err != nil {
		return Files{}, fmt.Errorf("zope files of %s: %w", in.clientName(), err)
	}
	files := Files{ZopeConf: zopeConfPath(in), WSGIIni: wsgiIniPath(in)}
	if err := writeFiles(etcDir(in), []namedFile{{"zope.conf", conf}, {"wsgi.ini", ini}}); err != nil {
		return Files{}, fmt.Errorf("write zope files of %s: %w", in.clientName(), err)
	}
	return files, nil
}

func etcDir(in Instance) string       { return filepath.Join(in.VarDir, "etc") }
func zopeConfPath(in Instance) string { return filepath.Join(etcDir(in), "zope.conf") }
func wsgiIniPath(in Instance) string  { return filepath.Join(etcDir(in), "wsgi.ini") }

// namedFile is one file of etc/ and its content.
type namedFile struct {
	name    string
	content []byte
}

// writeFiles replaces each file of dir atomically, in order. The root keeps
// the temporary files and the renames inside dir even if a name were to
// climb out of it.
func writeFiles(dir string, files []namedFile) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range files {
		if err := writeAtomic(root, f.name, f.content); err != nil {
			return err
		}
	}
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// writeAtomic is renameio.WriteFile without WithExistingPermissions: the
// mode is always fileMode, not whatever an old file had.
func writeAtomic(root *os.Root, name string, content []byte) error {
	t, err := renameio.NewPendingFile(name, renameio.WithRoot(root), renameio.WithStaticPermissions(fileMode))
	if err != nil {
		return err
	}
	defer t.Cleanup()
	if _, err := t.Write(content); err != nil {
		return err
	}
	return t.CloseAtomicallyReplace()
}
