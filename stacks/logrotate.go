package stacks

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
)

// LogPolicy says when an instance's log file is rotated: when it grew past
// MaxSize bytes, it is copied to LOG.1 (older copies move up to LOG.Keep, the
// oldest is dropped) and emptied.
type LogPolicy struct {
	MaxSize int64 // 0 or less means 10 MiB
	Keep    int   // rotated copies kept; 0 or less means 3
}

func (p LogPolicy) withDefaults() LogPolicy {
	if p.MaxSize <= 0 {
		p.MaxSize = logMaxSize
	}
	if p.Keep <= 0 {
		p.Keep = logKeep
	}
	return p
}

// RotateLog rotates the log file at path by copy and truncate: path is copied
// to path.1 (path.1 … path.(keep-1) having moved up one, the oldest dropped)
// and then truncated to zero.
//
// Copy-truncate, not rename-and-reopen, because the instance process writes
// into the file through a descriptor it inherited and holds itself; the
// controller cannot make it reopen anything, and output must keep flowing
// while no controller runs. The process opened the file O_APPEND, so its next
// write lands at the new end rather than leaving a hole of zeros. The price,
// the same as logrotate's copytruncate: a line written after the copy ended
// and before the truncate is lost. That window is a few renames long, and a
// rare lost log line is better than a pipe through the controller that
// would lose all output, or block the instance, whenever the controller is
// down.
func RotateLog(path string, keep int) error {
	if keep < 1 {
		return fmt.Errorf("rotate log %s: keep %d is not 1 or more", path, keep)
	}
	// Copy first, under a temporary name: should the copy fail (a full disk),
	// the older copies are still where they were and nothing is truncated.
	tmp := path + ".rotating"
	if err := copyLog(path, tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rotate log %s: %w", path, err)
	}
	for n := keep - 1; n >= 1; n-- {
		err := os.Rename(rotatedLog(path, n), rotatedLog(path, n+1))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			_ = os.Remove(tmp)
			return fmt.Errorf("rotate log %s: %w", path, err)
		}
	}
	if err := os.Rename(tmp, rotatedLog(path, 1)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rotate log %s: %w", path, err)
	}
	if err := os.Truncate(path, 0); err != nil {
		return fmt.Errorf("rotate log %s: %w", path, err)
	}
	return nil
}

func rotatedLog(path string, n int) string {
	return path + "." + strconv.Itoa(n)
}

// copyLog streams src into a new file dst with the same permissions.
func copyLog(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	// Up to the end as it is when the copy gets there: lines written during
	// the copy are kept too.
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

// logRotator checks an instance's log file from the supervising goroutine,
// so that rotation needs no goroutine of its own and ends with supervision.
type logRotator struct {
	path    string
	policy  LogPolicy
	failing bool // the last rotation failed: warn once, not every second
}

// check rotates the log when it grew past the limit; a Stat is all it costs
// otherwise.
func (r *logRotator) check(log *slog.Logger) {
	fi, err := os.Stat(r.path)
	if err != nil || fi.Size() <= r.policy.MaxSize {
		return
	}
	if err := RotateLog(r.path, r.policy.Keep); err != nil {
		if !r.failing {
			log.Warn("log rotation failed; will retry", "log", r.path, "size", fi.Size(), "err", err)
		}
		r.failing = true
		return
	}
	r.failing = false
	log.Info("log rotated", "log", r.path, "size", fi.Size(), "keep", r.policy.Keep)
}
