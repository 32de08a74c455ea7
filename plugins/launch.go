package plugins

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// instance is one running plugin process.
type instance struct {
	client   *plugin.Client
	cmd      *exec.Cmd
	remote   *remote
	protocol int
	pid      int
	out      *pluginOutput
}

// launch starts spec's binary through go-plugin: checksum first (when
// pinned), then the versioned handshake, then mutual TLS on a connection
// only this host and this process can use.
func (h *Host) launch(spec Spec) (*instance, error) {
	if n := len(spec.SHA256); n != 0 && n != sha256.Size {
		return nil, fmt.Errorf("%s: the sha256 pin has %d bytes; a SHA-256 has %d", spec.label(), n, sha256.Size)
	}
	log := h.log.With("plugin", spec.Name, "kind", spec.Kind)
	out := newPluginOutput(log)
	cmd := exec.Command(spec.Path)
	dieWithHost(cmd)
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  handshake,
		VersionedPlugins: hostPluginSets(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     spec.timeout(),
		Logger:           newHCLogAdapter(log),
		Stderr:           out.stderr,
		SyncStdout:       out.syncStdout,
		SyncStderr:       out.syncStderr,
		GRPCDialOptions:  []grpc.DialOption{grpc.WithDefaultCallOptions(callOptions...)},
	}
	if len(spec.SHA256) > 0 {
		// A fresh hash each launch: SecureConfig writes the file into it.
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: spec.SHA256, Hash: sha256.New()}
	}
	client := plugin.NewClient(cfg)
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, launchError(spec, cmd, out, err)
	}
	raw, err := rpc.Dispense(spec.Kind)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("%s: %w", spec.label(), err)
	}
	r, ok := raw.(*remote)
	if !ok {
		client.Kill()
		return nil, fmt.Errorf("%s: go-plugin dispensed a %T", spec.label(), raw)
	}
	inst := &instance{client: client, cmd: cmd, remote: r, protocol: client.NegotiatedVersion(), pid: cmd.Process.Pid, out: out}
	log.Info("plugin launched", "path", spec.Path, "pid", inst.pid, "protocol", inst.protocol)
	return inst, nil
}

// pluginVersion finds the plugin's version in go-plugin's mismatch error,
// which names it but not in words a deployment manager would use.
var pluginVersion = regexp.MustCompile(`incompatible API version with plugin\. Plugin version: (\d+)`)

// launchError turns go-plugin's start errors into one sentence about the
// plugin. go-plugin has already killed the process; client.Kill has waited
// for it, so its exit status is there to read.
func launchError(spec Spec, cmd *exec.Cmd, out *pluginOutput, err error) error {
	label, msg := spec.label(), err.Error()
	if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
		actual, herr := fileSHA256(spec.Path)
		if herr != nil {
			actual = "unreadable (" + herr.Error() + ")"
		}
		return fmt.Errorf("%s: %s has sha256 %s, but sha256 %s is configured; refusing to run it (check where the binary came from, then update the pin)",
			label, spec.Path, actual, hex.EncodeToString(spec.SHA256))
	}
	if m := pluginVersion.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s speaks protocol version %s; this deploy speaks %s (use a plugin built for this deploy)", label, m[1], versionList(ProtocolVersions))
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(msg, "Unrecognized remote plugin message: "), "\n")
	switch {
	case strings.HasPrefix(msg, "Unrecognized remote plugin message") && first != "":
		return fmt.Errorf("%s: %s is not a deploy plugin: it printed %q instead of the plugin handshake (%s)", label, spec.Path, printable(first), exitReport(cmd, out))
	case strings.HasPrefix(msg, "Unrecognized remote plugin message"), strings.Contains(msg, "plugin exited before we could connect"):
		return fmt.Errorf("%s: %s exited before it was ready: %s", label, spec.Path, exitReport(cmd, out))
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("%s: %s did not start within %s", label, spec.Path, spec.timeout())
	}
	first, _, _ = strings.Cut(msg, "\n")
	return fmt.Errorf("%s: cannot start %s: %s", label, spec.Path, first)
}

func versionList(vs []int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// exitedNow says whether the process is known to have exited.
func (i *instance) exitedNow() bool {
	select {
	case <-i.remote.exited:
		return true
	default:
		return false
	}
}

// waitExit waits up to d for the process to exit: a connection that broke
// because the process died breaks a moment before the exit is seen.
func (i *instance) waitExit(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-i.remote.exited:
		return true
	case <-t.C:
		return false
	}
}

// exitReport says how the process ended; only after it has exited.
func (i *instance) exitReport() string { return exitReport(i.cmd, i.out) }

// exitReport reads the exit status; go-plugin cancels the exited context
// (or Kill returns) only after cmd.Wait, so reading it then is safe.
func exitReport(cmd *exec.Cmd, out *pluginOutput) string {
	report := "it did not say why"
	if cmd.ProcessState != nil {
		report = cmd.ProcessState.String()
	}
	if last := out.lastWords(); last != "" {
		report += ": " + last
	}
	return report
}

// stop ends the process. Hard kills at once, for a plugin that hangs or
// broke its connection; otherwise go-plugin asks it to shut down and kills
// it after two seconds.
func (i *instance) stop(hard bool) {
	if hard && i.cmd.Process != nil {
		_ = i.cmd.Process.Kill()
	}
	if i.client != nil {
		i.client.Kill()
	}
}
