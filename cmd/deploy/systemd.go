package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/spf13/cobra"

	"deploy/config"
)

// Timeouts of the unit around the controller's own.
const (
	// stopMargin is what systemd waits beyond shutdownTimeout before it
	// kills a controller that did not stop.
	stopMargin = 15 * time.Second
	// startBase is the start timeout of a controller with nothing to wait
	// for (systemd's own default); every slot it may start at boot adds its
	// ready timeout.
	startBase = 90 * time.Second
)

type systemdUnitCmd struct {
	g       *globals
	binary  string
	user    string
	group   string
	logFile string
	pidFile string
}

func newSystemdUnitCmd(g *globals) *cobra.Command {
	u := &systemdUnitCmd{g: g}
	cmd := &cobra.Command{
		Use:   "systemd-unit",
		Short: "Print a systemd unit that runs the controller (deploy serve) on this configuration",
		Long: `Print a systemd service unit that runs "deploy serve" with this binary (or
--binary) on the configuration (--config, made absolute; it must load). Install
it with:

  deploy systemd-unit > /etc/systemd/system/deploy.service
  systemctl daemon-reload && systemctl enable --now deploy

The unit is Type=notify: "systemctl start" returns once the proxy listeners and
the control socket serve. "systemctl reload deploy" makes the controller re-read
its configuration (SIGHUP). "systemctl restart deploy" restarts the controller
alone: KillMode=process leaves the slots' instance processes running, and the
new controller adopts them, so no application restarts (the proxy, part of the
controller, does not listen for the moment the restart takes).
The controller is restarted when it fails, but not on a configuration error
(exit status 2).

Without --log-file the controller logs to the journal (journalctl -u deploy);
with it, see "deploy logrotate". With --user, the state directory, the log file
and the pid file must be writable by that user, and the instances run as that
user too.`,
		Example: "  deploy systemd-unit --config /etc/deploy/deploy.hcl --user deploy --log-file /var/log/deploy/deploy.log \\\n" +
			"    > /etc/systemd/system/deploy.service",
		Args: args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error { return u.run() },
	}
	f := cmd.Flags()
	f.StringVar(&u.binary, "binary", "", "deploy binary the unit runs (default: this one)")
	f.StringVar(&u.user, "user", "", "user the controller and the instances run as (default: root)")
	f.StringVar(&u.group, "group", "", "group they run as (default: the user's)")
	f.StringVar(&u.logFile, "log-file", "", "pass --log-file to deploy serve (default: log to the journal)")
	f.StringVar(&u.pidFile, "pid-file", "", "pass --pid-file to deploy serve")
	return cmd
}

// unitData is what the unit template is filled with.
type unitData struct {
	Command                         string // that prints the unit again
	ExecStart, WorkingDirectory     string
	User, Group, RuntimeDirectory   string
	TimeoutStartSec, TimeoutStopSec string
	Shutdown                        string // the controller's own timeout
}

func (u *systemdUnitCmd) run() error {
	cfg, err := u.g.loadConfig()
	if err != nil {
		return err
	}
	d, err := u.data(cfg)
	if err != nil {
		return err
	}
	return unitTemplate.Execute(u.g.stdout, d)
}

// data checks the flags and fills the template.
func (u *systemdUnitCmd) data(cfg *config.Config) (*unitData, error) {
	bin := u.binary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find this binary: %w; give --binary", err)
		}
		bin = exe
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return nil, usageError{err}
	}
	for _, name := range []string{u.user, u.group} {
		if strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || strings.ContainsRune(`"'\%$`, r) }) {
			return nil, usageError{fmt.Errorf("%q is not a user or group name", name)}
		}
	}
	argv := []string{bin, "serve", "--config", cfg.File}
	again := []string{"--config", cfg.File}
	if u.binary != "" {
		again = append(again, "--binary", bin)
	}
	if u.user != "" {
		again = append(again, "--user", u.user)
	}
	if u.group != "" {
		again = append(again, "--group", u.group)
	}
	d := &unitData{
		WorkingDirectory: escapeSpecifiers(filepath.Dir(cfg.File)),
		User:             u.user,
		Group:            u.group,
		Shutdown:         seconds(shutdownTimeout),
		TimeoutStopSec:   seconds(shutdownTimeout + stopMargin),
		TimeoutStartSec:  seconds(startTimeout(cfg)),
	}
	if u.logFile != "" {
		abs, err := filepath.Abs(u.logFile)
		if err != nil {
			return nil, usageError{err}
		}
		argv = append(argv, "--log-file", abs)
		again = append(again, "--log-file", abs)
	}
	if u.pidFile != "" {
		abs, err := filepath.Abs(u.pidFile)
		if err != nil {
			return nil, usageError{err}
		}
		argv = append(argv, "--pid-file", abs)
		again = append(again, "--pid-file", abs)
		// systemd creates /run/NAME for the user before the start.
		if dir, ok := strings.CutPrefix(filepath.Dir(abs), "/run/"); ok && !strings.Contains(dir, "/") {
			d.RuntimeDirectory = dir
		}
	}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = quoteExecArg(a, i == 0)
	}
	d.ExecStart = strings.Join(quoted, " ")
	d.Command = commandLine("deploy systemd-unit", again)
	return d, nil
}

// startTimeout bounds the start of the controller: at boot it starts every
// slot that was running and waits for each to be ready, one after the other,
// before it says READY=1.
func startTimeout(cfg *config.Config) time.Duration {
	t := startBase
	for _, s := range cfg.Services {
		t += time.Duration(len(s.Slots)) * s.Stack.Ready.Timeout
	}
	return t
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%ds", int64((d+time.Second-1)/time.Second))
}

// quoteExecArg writes one word of ExecStart= in systemd's syntax: "%" would
// start a specifier, "$" in an argument (not in the program's path) a
// variable, and spaces and quotes would split or join words.
func quoteExecArg(s string, program bool) string {
	s = escapeSpecifiers(s)
	if !program {
		s = strings.ReplaceAll(s, "$", "$$")
	}
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\;") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func escapeSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

var unitTemplate = template.Must(template.New("unit").Parse(`# The deploy controller ("deploy serve"), written by "deploy systemd-unit".
# Install it with:
#   {{.Command}} \
#     > /etc/systemd/system/deploy.service
#   systemctl daemon-reload && systemctl enable --now deploy

[Unit]
Description=deploy controller: blue/green deployments behind an embedded reverse proxy
Wants=network-online.target
After=network-online.target

[Service]
# Type=notify: the controller tells systemd READY=1 only once its proxy
# listeners and control socket serve, so "systemctl start" returns, and units
# ordered after this one start, when the site answers. It says RELOADING=1
# while it re-reads its configuration (ExecReload) and STOPPING=1 when it
# begins to shut down.
Type=notify
# NotifyAccess=all: "deploy upgrade" (or SIGUSR1) starts a new controller that
# takes the listening sockets over, without closing them, and tells systemd
# MAINPID= before the old one exits. The instances cannot speak: the
# controller removes the notification socket from their environment.
NotifyAccess=all
ExecStart={{.ExecStart}}
# SIGHUP makes the controller re-read its configuration.
ExecReload=/bin/kill -HUP $MAINPID
WorkingDirectory={{.WorkingDirectory}}
{{- if .User}}
User={{.User}}
{{- end}}
{{- if .Group}}
Group={{.Group}}
{{- end}}
{{- if .RuntimeDirectory}}
# Holds the pid file; created for the user at each start.
RuntimeDirectory={{.RuntimeDirectory}}
{{- end}}
Restart=on-failure
RestartSec=2s
# Exit status 2 is an error in the configuration or the command line: starting
# again would fail the same way.
RestartPreventExitStatus=2
# KillMode=process: "systemctl stop" and "systemctl restart" signal the
# controller only. The slots' instance processes run in process groups of
# their own and keep serving; the next controller adopts them, so restarting
# or upgrading the controller restarts no application. (deploy serve
# --stop-stacks stops them along with the controller.)
KillMode=process
# The controller gives in-flight requests {{.Shutdown}} to finish when it stops.
TimeoutStopSec={{.TimeoutStopSec}}
# At boot the controller starts the slots that were running and waits for each
# to be ready (its ready timeout, one slot after the other) before READY=1.
TimeoutStartSec={{.TimeoutStartSec}}

# Hardening that the instances, which run inside this unit, live with too.
NoNewPrivileges=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
LockPersonality=yes
RestrictRealtime=yes
# No PrivateTmp=: systemd empties a unit's private /tmp whenever the unit
# stops, under the instances that KillMode=process keeps running. No
# ProtectSystem=: the instances write where their stacks say (the stack dir
# defaults to the configuration's directory).

[Install]
WantedBy=multi-user.target
`))
