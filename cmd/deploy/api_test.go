package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"deploy/config"
	"deploy/internal/controllertest"
	"deploy/orchestrator"
)

const testAPIToken = "cli-api-token-0123456789abcdef"

// apiController is a real controller, with nothing started, serving its
// control API on a loopback port through listenAPI; it returns the API's URL
// and its server.
func apiController(t *testing.T) (string, *sideServer) {
	t.Helper()
	p := controllertest.New(t, 39301)
	log := p.Log
	ctrl, err := orchestrator.New(p.Config, p.Store, p.Releases, p.Proxy, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := ctrl.Restore(t.Context()); err != nil {
		t.Fatal(err)
	}
	side, err := listenAPI(&config.API{Listen: "127.0.0.1:0", Token: testAPIToken}, ctrl, log)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	side.serve(errc, log)
	t.Cleanup(func() { side.shutdown(context.Background()) })
	return "http://" + side.ln.Addr().String(), side
}

// tokenFile writes a token file as an operator would, token on line one.
func tokenFile(t *testing.T, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "api.token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestListenAPI_WithoutAnAPIBlockOpensNothing(t *testing.T) {
	side, err := listenAPI(nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if side != nil || err != nil {
		t.Fatalf("listenAPI(nil) = %v, %v; want nothing", side, err)
	}
}

func TestListenAPI_HasNoDeadlineThatWouldCutAFollowOrAStreamedRelease(t *testing.T) {
	_, side := apiController(t)
	if s := side.srv; s.ReadTimeout != 0 || s.WriteTimeout != 0 || s.ReadHeaderTimeout <= 0 {
		t.Errorf("read timeout %v, write timeout %v, header timeout %v; want none, none and some", s.ReadTimeout, s.WriteTimeout, s.ReadHeaderTimeout)
	}
}

func TestCLI_WithAPIAndItsTokenFileTalksToTheTCPControlAPI(t *testing.T) {
	url, _ := apiController(t)
	out := mustDeploy(t, "--api", url, "--api-token-file", tokenFile(t, testAPIToken), "status", "demo", "--json")
	if !strings.Contains(out, `"service": "demo"`) {
		t.Errorf("status over the TCP API printed:\n%s", out)
	}
}

func TestCLI_TakesTheAPIAndItsTokenFileFromTheEnvironment(t *testing.T) {
	url, _ := apiController(t)
	t.Setenv("DEPLOY_API", url)
	t.Setenv("DEPLOY_API_TOKEN_FILE", tokenFile(t, testAPIToken))
	mustDeploy(t, "status")
}

func TestCLI_WithAWrongAPITokenFailsWithAClearMessage(t *testing.T) {
	url, _ := apiController(t)
	out, errOut, code := deploy(t, "--api", url, "--api-token-file", tokenFile(t, "not-the-token-0123456789abcdef"), "switch", "demo", "--to", "green")
	if code != exitFailed || !strings.Contains(errOut, "missing or wrong token") || !strings.Contains(errOut, "--api-token-file") {
		t.Errorf("exit %d\n%s%s\nwant exit 1 saying the token was refused and how to give it", code, out, errOut)
	}
}

func TestCLI_APIFlagsThatCannotWorkAreUsageErrors(t *testing.T) {
	good := tokenFile(t, testAPIToken)
	empty := tokenFile(t, "")
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no token file":      {[]string{"--api", "http://127.0.0.1:9"}, "--api needs --api-token-file"},
		"missing token file": {[]string{"--api", "http://127.0.0.1:9", "--api-token-file", good + ".nope"}, "no such file"},
		"empty token file":   {[]string{"--api", "http://127.0.0.1:9", "--api-token-file", empty}, "no token on its first line"},
		"URL without scheme": {[]string{"--api", "127.0.0.1:9", "--api-token-file", good}, "give the scheme, host and port only"},
		"socket and api":     {[]string{"--api", "http://127.0.0.1:9", "--api-token-file", good, "--socket", "/run/deploy.sock"}, "give one"},
	} {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := deploy(t, append(tc.args, "status")...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d\n%s%s\nwant exit 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
}
