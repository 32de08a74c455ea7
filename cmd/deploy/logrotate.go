package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
)

// defaultUnit is the unit "deploy systemd-unit" is installed as.
const defaultUnit = "deploy.service"

type logrotateCmd struct {
	g       *globals
	logFile string
	pidFile string
	unit    string
}

func newLogrotateCmd(g *globals) *cobra.Command {
	l := &logrotateCmd{g: g}
	cmd := &cobra.Command{
		Use:   "logrotate",
		Short: "Print a logrotate snippet for the controller's log file and the proxy's access log",
		Long: `Print a logrotate configuration for the controller's log file (--log-file, the
path given to deploy serve) and the proxy's access log (the access_log block of
the configuration, --config). Install it with:

  deploy logrotate --log-file /var/log/deploy/deploy.log > /etc/logrotate.d/deploy

The files are rotated daily and 14 are kept, compressed from the second one on.
After a rotation SIGUSR2 makes the controller reopen both files at their paths:
nothing is copied or truncated, so no line is lost. The signal goes to the
controller named by --pid-file (the one given to deploy serve), or else to the
main process of the systemd unit --systemd-unit, and not to the instances that
run in the same unit (systemctl kill --kill-whom=main; systemd before 252
spells it --kill-who).

The instances' logs are not listed: the controller rotates them itself, by
size, as each stack's log block says (max_size, keep).`,
		Example: "  deploy logrotate --log-file /var/log/deploy/deploy.log --systemd-unit deploy.service\n" +
			"  deploy logrotate --log-file /var/log/deploy/deploy.log --pid-file /run/deploy/deploy.pid",
		Args: args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error { return l.run() },
	}
	f := cmd.Flags()
	f.StringVar(&l.logFile, "log-file", "", "the controller's log file (deploy serve --log-file)")
	f.StringVar(&l.pidFile, "pid-file", "", "signal the controller named by this pid file (deploy serve --pid-file)")
	f.StringVar(&l.unit, "systemd-unit", defaultUnit, "signal the main process of this systemd unit (without --pid-file)")
	cmd.MarkFlagsMutuallyExclusive("pid-file", "systemd-unit")
	return cmd
}

// rotateData is what the snippet template is filled with.
type rotateData struct {
	Command   string // that prints the snippet again
	Files     string // logrotate's list of paths
	PostCheck string // the postrotate script
}

// unitName is what systemctl accepts as a unit name, without quoting.
var unitName = regexp.MustCompile(`^[A-Za-z0-9:_.@-]+$`)

func (l *logrotateCmd) run() error {
	cfg, err := l.g.loadConfig()
	if err != nil {
		return err
	}
	var paths []string
	again := []string{"--config", cfg.File}
	if l.logFile != "" {
		abs, err := filepath.Abs(l.logFile)
		if err != nil {
			return usageError{err}
		}
		paths = append(paths, abs)
		again = append(again, "--log-file", abs)
	}
	if a := cfg.Proxy.AccessLog; a != nil {
		paths = append(paths, a.Path)
	}
	if len(paths) == 0 {
		return usageError{errors.New("nothing to rotate: give --log-file (the controller's log file), or add an access_log block to the proxy block; without --log-file the controller logs to stderr or the journal")}
	}
	d := &rotateData{}
	for i, p := range paths {
		q, err := rotatePath(p)
		if err != nil {
			return err
		}
		if i > 0 {
			d.Files += " "
		}
		d.Files += q
	}
	if l.pidFile != "" {
		abs, err := filepath.Abs(l.pidFile)
		if err != nil {
			return usageError{err}
		}
		q := shellQuote(abs)
		again = append(again, "--pid-file", abs)
		d.PostCheck = fmt.Sprintf(`[ -s %s ] && kill -USR2 "$(cat %s)"`, q, q)
	} else {
		if !unitName.MatchString(l.unit) {
			return usageError{fmt.Errorf("--systemd-unit %q is not a unit name", l.unit)}
		}
		d.PostCheck = "systemctl kill --kill-whom=main --signal=USR2 " + l.unit
		again = append(again, "--systemd-unit", l.unit)
	}
	d.Command = commandLine("deploy logrotate", again)
	return rotateTemplate.Execute(l.g.stdout, d)
}

// rotatePath writes a path as logrotate reads it: in double quotes when it
// holds spaces. Glob characters would match other files, and a quote or a
// newline cannot be written at all.
func rotatePath(p string) (string, error) {
	if strings.ContainsAny(p, "\"'\n\\*?[{") {
		return "", fmt.Errorf("log file %q: logrotate cannot name a path with quotes, backslashes, newlines or glob characters; choose another", p)
	}
	if strings.ContainsAny(p, " \t") {
		return `"` + p + `"`, nil
	}
	return p, nil
}

// commandLine writes a command with its flags for sh.
func commandLine(cmd string, flags []string) string {
	for _, f := range flags {
		cmd += " " + shellQuote(f)
	}
	return cmd
}

// shellQuote quotes s for sh when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+:@=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

var rotateTemplate = template.Must(template.New("logrotate").Parse(`# Log rotation of the deploy controller, written by "deploy logrotate".
# Install it with:
#   {{.Command}} \
#     > /etc/logrotate.d/deploy
#
# The instances' logs are not listed here: the controller rotates them itself,
# by size, as each stack's log block says (max_size, keep).
#
# After the rotation, SIGUSR2 makes the controller reopen its log file and the
# proxy's access log at their paths; nothing is copied or truncated, so no line
# is lost. delaycompress leaves the newest rotated file uncompressed for the
# lines written before the controller reopened.
{{.Files}} {
	daily
	rotate 14
	compress
	delaycompress
	missingok
	notifempty
	sharedscripts
	create 0640
	postrotate
		{{.PostCheck}}
	endscript
}
`))
