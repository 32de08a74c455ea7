package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"deploy/config"
	"deploy/orchestrator"
)

// maxAPITokenFile bounds the token file the client reads; a token is one
// line.
const maxAPITokenFile = 4 << 10

// listenAPI opens the control API on its TCP port when the controller block
// has an api block; nil otherwise. It serves the socket's handler behind the
// token.
func listenAPI(cfg *config.API, ctrl *orchestrator.Controller, log *slog.Logger) (*sideServer, error) {
	if cfg == nil {
		return nil, nil
	}
	side, err := listenSide("control API", cfg.Listen, orchestrator.NewTokenHandler(orchestrator.NewAPI(ctrl), cfg.Token), log)
	if err != nil {
		return nil, err
	}
	// A read deadline that passes while a handler runs cancels its
	// request's context (net/http's background read): the side servers'
	// ReadTimeout would cut "logs --follow" and a long export. The headers
	// keep their own timeout and a request body is at most 64 KiB. No write
	// deadline either: a release streams its steps for as long as it runs.
	side.srv.ReadTimeout = 0
	side.srv.WriteTimeout = 0
	return side, nil
}

// apiTarget is where --api and --api-token-file send the client: the
// controller's TCP control API instead of its socket.
type apiTarget struct {
	url       string
	tokenFile string
}

// client returns a client of the TCP control API, with the token read from
// the first line of the token file.
func (a apiTarget) client() (*orchestrator.Client, error) {
	if a.tokenFile == "" {
		return nil, usageError{errors.New("--api needs --api-token-file FILE (or DEPLOY_API_TOKEN_FILE): the control API refuses callers without its token")}
	}
	token, err := readAPIToken(a.tokenFile)
	if err != nil {
		return nil, usageError{err}
	}
	c, err := orchestrator.NewTCPClient(a.url, token)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// readAPIToken reads the token from the first line of path.
func readAPIToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("api token file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, maxAPITokenFile)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("api token file %s: %w", path, err)
	}
	token := strings.TrimSpace(line)
	if token == "" {
		return "", fmt.Errorf("api token file %s has no token on its first line; copy the controller's api token into it", path)
	}
	return token, nil
}
