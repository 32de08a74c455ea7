package stacks

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// spawn starts one process for spec and returns it without waiting for it.
func spawn(spec InstanceSpec) (proc, error) {
	path, err := resolveCommand(spec)
	if err != nil {
		return proc{}, err
	}
	if err := os.MkdirAll(spec.VarDir, dirMode); err != nil {
		return proc{}, fmt.Errorf("create var dir: %w", err)
	}
	logf, err := openLog(spec.LogPath)
	if err != nil {
		return proc{}, err
	}
	// The child holds its own copy of the descriptor once started.
	defer logf.Close()

	cmd := &exec.Cmd{
		Path: path,
		Args: spec.Command,
		Dir:  spec.Dir,
		Env:  spec.environ(),
		// Stdin stays nil: exec connects it to /dev/null.
		// The log file itself, not a pipe through the controller: output
		// keeps flowing when the controller restarts or dies.
		Stdout: logf,
		Stderr: logf,
		// Its own process group: a signal to the controller's group (Ctrl-C,
		// a service manager stopping the controller) does not reach it, and
		// Stop can signal the instance together with its grandchildren.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	if err := cmd.Start(); err != nil {
		return proc{}, fmt.Errorf("run %s: %w", spec.Command[0], err)
	}
	pid := cmd.Process.Pid
	// Supervision works by PID (it must work the same for adopted processes,
	// and must not leave a goroutine blocked in Wait after Detach), so the
	// os.Process handle is not needed; the process stays our child to reap.
	_ = cmd.Process.Release()

	p := proc{id: ProcessID{PID: pid}, pgid: pid, child: true}
	start, err := ReadStartTime(pid)
	if err != nil {
		// Cannot happen while the child is unreaped; if it does, do not leave
		// an unidentifiable process behind.
		_ = p.signal(syscall.SIGKILL)
		_, _ = syscall.Wait4(pid, nil, 0, nil)
		return proc{}, fmt.Errorf("run %s: %w", spec.Command[0], err)
	}
	p.id.StartTime = start
	return p, nil
}

// resolveCommand finds the executable for spec.Command[0] and says plainly
// which command and path failed; exec's own errors blame the binary when it is
// the working directory that is missing.
func resolveCommand(spec InstanceSpec) (string, error) {
	name := spec.Command[0]
	if spec.Dir != "" {
		fi, err := os.Stat(spec.Dir)
		if err != nil {
			return "", fmt.Errorf("working directory: %w", err)
		}
		if !fi.IsDir() {
			return "", fmt.Errorf("working directory %s is not a directory", spec.Dir)
		}
	}
	if strings.Contains(name, "/") {
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(spec.Dir, path)
		}
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		if err := checkExecutable(path); err != nil {
			return "", fmt.Errorf("command %q: %w", name, err)
		}
		return path, nil
	}
	// A PATH in spec.Env is the one the instance runs with, so look there.
	pathEnv, ok := spec.Env["PATH"]
	if !ok {
		pathEnv = os.Getenv("PATH")
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		// Relative PATH entries would depend on the controller's directory.
		if !filepath.IsAbs(dir) {
			continue
		}
		path := filepath.Join(dir, name)
		if checkExecutable(path) == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("command %q not found in PATH %q", name, pathEnv)
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}

// openLog opens the instance's log file for appending, creating it and its
// directory. O_APPEND keeps writes from successive processes (and from
// grandchildren sharing the descriptor) from overwriting each other, and lets
// copytruncate log rotation work.
func openLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, logFileMode)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	return f, nil
}
