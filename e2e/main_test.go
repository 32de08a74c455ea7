// Package e2e drives the real deploy binary and the demo application:
// real processes on loopback ports, real HTTP through the real proxy.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Binaries built once for the whole suite.
var (
	deployBin  string
	demoAppBin string
	// zeoStandinBin speaks ZEO's protocol in place of a real ZEO server.
	zeoStandinBin string
	// pluginBins are the example plugins and the test plugin, by name.
	pluginBins map[string]string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deploy-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	deployBin = filepath.Join(dir, "deploy")
	demoAppBin = filepath.Join(dir, "demo-app")
	zeoStandinBin = filepath.Join(dir, "zeo-standin")
	builds := map[string]string{deployBin: "../cmd/deploy", demoAppBin: "../examples/demo/app", zeoStandinBin: "../internal/zeostandin"}
	pluginBins = map[string]string{}
	for _, name := range []string{"driver-exec", "check-zmi", "notifier-file"} {
		pluginBins[name] = filepath.Join(dir, "deploy-plugin-"+name)
		builds[pluginBins[name]] = "../plugins/cmd/deploy-plugin-" + name
	}
	// The test plugin serves the kind its file name says.
	pluginBins["testplugin"] = filepath.Join(dir, "deploy-plugin-check-flaky")
	builds[pluginBins["testplugin"]] = "../plugins/internal/testplugin"
	for out, pkg := range builds {
		args := []string{"build", "-o", out}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", pkg, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
