package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// apiToken guards the TCP control API in these tests.
const apiToken = "e2e-api-token-0123456789abcdef"

// newAPISite starts a site whose controller also serves the control API on
// a free loopback port; it returns the API's URL and its token file.
func newAPISite(t *testing.T) (s *site, url, tokenFile string) {
	t.Helper()
	dir := t.TempDir()
	tokenFile = writeToken(t, dir, "api.token", apiToken)
	addr := fmt.Sprintf("127.0.0.1:%d", freePorts(t, 1))
	s = newSite(t, siteOptions{control: fmt.Sprintf("api {\n    listen     = %q\n    token_file = %q\n  }", addr, tokenFile)})
	return s, "http://" + addr, tokenFile
}

func writeToken(t *testing.T, dir, name, token string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAPI_TheCLIWorksOverTCPWithTheTokenAndHistoryNamesTheCaller(t *testing.T) {
	t.Parallel()
	s, url, tokenFile := newAPISite(t)
	s.liveOn("blue")
	tcp := func(args ...string) string {
		t.Helper()
		return s.must(append([]string{"--api", url, "--api-token-file", tokenFile}, args...)...)
	}

	var st []serviceStatus
	if err := json.Unmarshal([]byte(tcp("status", "demo", "--json")), &st); err != nil || len(st) != 1 || st[0].Live != "blue" {
		t.Fatalf("status over TCP: %v %+v; want demo live on blue", err, st)
	}
	// up streams its progress (ndjson), as over the socket.
	tcp("up", "demo", "--slot", "green")
	tcp("switch", "demo", "--to", "green")
	if live := s.status().Live; live != "green" {
		t.Fatalf("live slot after a switch over TCP: %s, want green", live)
	}
	for _, op := range []string{"up", "switch"} {
		if e := s.lastEntry(op); e["actor"] != "api 127.0.0.1" || e["result"] != "ok" {
			t.Errorf("history of the %s over TCP: %v; want actor \"api 127.0.0.1\" and ok", op, e)
		}
	}
}

func TestAPI_AWrongOrMissingTokenGets401AndChangesNothing(t *testing.T) {
	t.Parallel()
	s, url, _ := newAPISite(t)
	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")
	before := len(s.history())

	wrong := writeToken(t, t.TempDir(), "wrong.token", "not-the-api-token-0123456789")
	out, errOut, code := s.run("--api", url, "--api-token-file", wrong, "switch", "demo", "--to", "green")
	if code == 0 || !strings.Contains(errOut, "missing or wrong token") || !strings.Contains(errOut, "--api-token-file") {
		t.Errorf("switch with a wrong token: exit %d\n%s%s\nwant a failure saying the token was refused and how to give it", code, out, errOut)
	}

	resp, err := http.Post(url+"/v1/services/demo/switch", "application/json", strings.NewReader(`{"to":"green","force":true}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e struct{ Kind, Error string }
	json.Unmarshal(body, &e)
	if resp.StatusCode != http.StatusUnauthorized || e.Kind != "unauthorized" || e.Error == "" ||
		!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("POST without Authorization: %s, WWW-Authenticate %q, body %s; want 401, a Bearer challenge and a JSON error",
			resp.Status, resp.Header.Get("WWW-Authenticate"), body)
	}

	if live := s.status().Live; live != "blue" {
		t.Errorf("live slot after refused switches: %s, want blue", live)
	}
	if h := s.history(); len(h) != before {
		t.Errorf("history grew from %d to %d entries: %v", before, len(h), h[before:])
	}
}

// nobody is the unprivileged user the socket test connects as.
const nobody = 65534

func TestSocket_AnotherOSUserCannotUseTheControlSocket(t *testing.T) {
	t.Parallel()
	// The socket lives in a directory anyone may enter, so that only the
	// socket's own mode (and behind it the controller's peer check) stands
	// between another user and the controller.
	dir, err := os.MkdirTemp("", "deploy-sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "control.sock")
	s := newSite(t, siteOptions{control: fmt.Sprintf("socket = %q", sock)})

	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); fi.Mode().Perm() != 0o600 || int(st.Uid) != os.Geteuid() {
		t.Fatalf("control socket mode %v owner %d; want 0600 and the controller's user %d", fi.Mode().Perm(), st.Uid, os.Geteuid())
	}
	// Running a client as another user needs root, for setuid; the mode
	// and owner checked above are what keep such a user out, so without
	// root the test ends here.
	if os.Geteuid() != 0 {
		return
	}

	s.liveOn("blue")
	s.must("up", "demo", "--slot", "green")
	before := len(s.history())
	// The test binaries sit in a directory only root may enter.
	bin := filepath.Join(dir, "deploy")
	copyExecutable(t, deployBin, bin)
	asNobody := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--socket", sock)...)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("run deploy as nobody: %v", err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}

	for _, args := range [][]string{{"status"}, {"switch", "demo", "--to", "green"}} {
		out, code := asNobody(args...)
		if code == 0 || !strings.Contains(out, "permission denied") || !strings.Contains(out, sock) {
			t.Errorf("deploy %s as nobody: exit %d\n%s\nwant a failure naming the socket and \"permission denied\"", strings.Join(args, " "), code, out)
		}
		t.Logf("deploy %s as nobody: exit %d: %s", strings.Join(args, " "), code, out)
	}
	// Even a socket opened to everyone answers no one but its owner and
	// root: the controller checks the peer's user on every connection.
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"switch", "demo", "--to", "green"}} {
		out, code := asNobody(args...)
		if code == 0 {
			t.Errorf("deploy %s as nobody on a socket of mode 0666 succeeded:\n%s", strings.Join(args, " "), out)
		}
		t.Logf("deploy %s as nobody on a socket of mode 0666: exit %d: %s", strings.Join(args, " "), code, out)
	}
	os.Chmod(sock, 0o600)

	if live := s.status().Live; live != "blue" {
		t.Errorf("live slot after nobody's switches: %s, want blue", live)
	}
	if h := s.history(); len(h) != before {
		t.Errorf("history grew from %d to %d entries: %v", before, len(h), h[before:])
	}
}

// copyExecutable copies a binary to where another user may run it.
func copyExecutable(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
