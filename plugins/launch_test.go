package plugins

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLaunch_TheRightChecksumRuns(t *testing.T) {
	h, _ := testHost(t)
	spec := testSpec(t, KindNotifier)
	sum, err := fileSHA256(spec.Path)
	if err != nil {
		t.Fatal(err)
	}
	spec.SHA256 = mustHex(t, sum)
	info, err := h.Probe(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != KindNotifier || info.Name != "testplugin" {
		t.Errorf("info = %+v", info)
	}
}

func TestLaunch_AWrongChecksumIsRefusedNamingBothSums(t *testing.T) {
	h, _ := testHost(t)
	spec := testSpec(t, KindNotifier)
	actual, err := fileSHA256(spec.Path)
	if err != nil {
		t.Fatal(err)
	}
	pin := strings.Repeat("ab", 32)
	spec.SHA256 = mustHex(t, pin)
	_, err = h.Probe(context.Background(), spec)
	wantError(t, err, `plugin "test" (notifier): `+spec.Path+" has sha256 "+actual+", but sha256 "+pin+" is configured; refusing to run it")
	if st := h.Status()[0]; st.Running || st.Protocol != 0 || !st.Pinned || st.LastError == "" {
		t.Errorf("status = %+v", st)
	}

	spec.SHA256 = []byte{1, 2, 3}
	_, err = h.Probe(context.Background(), spec)
	wantError(t, err, "the sha256 pin has 3 bytes; a SHA-256 has 32")
}

func TestLaunch_APluginOfAnotherProtocolVersionIsRefusedNamingBoth(t *testing.T) {
	t.Setenv("DEPLOY_TESTPLUGIN_PROTOCOL", "2") // the plugin inherits the host's environment
	h, _ := testHost(t)
	_, err := h.Probe(context.Background(), testSpec(t, KindCheck))
	wantError(t, err, `plugin "test" (check) speaks protocol version 2; this deploy speaks 1`)
}

func TestLaunch_HostOffersEveryProtocolVersionItSpeaks(t *testing.T) {
	var offered []int
	for v := range hostPluginSets() {
		offered = append(offered, v)
	}
	slices.Sort(offered)
	if !slices.Equal(offered, ProtocolVersions) {
		t.Errorf("plugin sets for versions %v, ProtocolVersions = %v", offered, ProtocolVersions)
	}
}

func TestLaunch_ABinaryThatIsNoPluginIsReported(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "deploy-plugin-check-shell")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hello there\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h, _ := testHost(t)
	_, err := h.Probe(context.Background(), Spec{Name: "shell", Kind: KindCheck, Path: script})
	wantError(t, err, `plugin "shell" (check): `+script+` is not a deploy plugin: it printed "hello there" instead of the plugin handshake`)

	if err := os.WriteFile(script, []byte("#!/bin/sh\necho going >&2\nexit 7\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = h.Probe(context.Background(), Spec{Name: "shell", Kind: KindCheck, Path: script})
	wantError(t, err, `plugin "shell" (check): `+script+` exited before it was ready: exit status 7: going`)

	_, err = h.Probe(context.Background(), Spec{Name: "gone", Kind: KindCheck, Path: filepath.Join(dir, "missing")})
	wantError(t, err, `plugin "gone" (check): cannot start`)
}

func TestLaunch_ThePluginRunByHandSaysWhatItIs(t *testing.T) {
	out, err := execOutput(filepath.Join(pluginDir, "deploy-plugin-check-test"))
	if err == nil || !strings.Contains(out, "This binary is a plugin") {
		t.Errorf("run by hand: %v, %q", err, out)
	}
}
