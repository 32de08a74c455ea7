// Command testplugin is the plugin the plugins package's tests launch. One
// binary serves all three kinds: its file name says which, by the naming
// rule (deploy-plugin-<kind>-<name>). Each call picks its behaviour through
// the "mode" setting, so that the tests can drive good answers, bad
// answers, crashes and hangs through the real go-plugin client.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"deploy/plugins"
)

func main() {
	kind := kindFromName(os.Args[0])
	if os.Getenv("DEPLOY_TESTPLUGIN_PROTOCOL") == "2" {
		serveFuture(kind)
		return
	}
	t := testPlugin{}
	switch kind {
	case plugins.KindDriver:
		plugins.Serve(driverOnly{t})
	case plugins.KindCheck:
		plugins.Serve(checkerOnly{t})
	case plugins.KindNotifier:
		plugins.Serve(notifierOnly{t})
	}
	fmt.Fprintf(os.Stderr, "testplugin: cannot tell the kind from the name %q\n", os.Args[0])
	os.Exit(1)
}

func kindFromName(arg0 string) string {
	rest, _ := strings.CutPrefix(filepath.Base(arg0), "deploy-plugin-")
	kind, _, _ := strings.Cut(rest, "-")
	return kind
}

// The wrappers give Serve exactly one interface, as it requires.
type driverOnly struct{ plugins.Driver }
type checkerOnly struct{ plugins.Checker }
type notifierOnly struct{ plugins.Notifier }

type testPlugin struct{}

func (testPlugin) Info(context.Context) (plugins.Info, error) {
	return plugins.Info{Name: "testplugin", Version: "1.0.0", Description: "drives the plugins package's tests"}, nil
}

func (testPlugin) ConfigSchema(context.Context) (plugins.Schema, error) {
	return plugins.Schema{Attributes: []plugins.Attribute{
		{Name: "mode", Type: "string", Description: "what the next call does"},
		{Name: "out", Type: "string", Description: "where Notify writes the event"},
	}}, nil
}

// behave does what every kind does for the modes that are not about the
// answer: crash, hang, and odd things on stderr.
func behave(mode string) {
	switch mode {
	case "crash":
		panic("testplugin: crash requested")
	case "hang":
		time.Sleep(time.Hour) // ignores the context on purpose: a hung plugin does
	case "hostilelog":
		// Serve gave os.Stderr to go-plugin's stdio stream; fd 2 is the
		// stderr the host reads log records from.
		real := os.NewFile(2, "stderr")
		fmt.Fprintln(real, `{"@message": 1, "@level": 7}`)
		fmt.Fprintln(real, `{"@message": "impostor record", "@level": "warn", "plugin": "impostor"}`)
		fmt.Fprintln(real, strings.Repeat("x", 200<<10))
	case "slog":
		slog.Warn("hello from testplugin", "n", 1)
		fmt.Fprintln(os.Stdout, "plain stdout line")
	}
}

func mode(cfg map[string]any) string {
	m, _ := cfg["mode"].(string)
	return m
}

func (testPlugin) Render(_ context.Context, stack plugins.StackContext) ([]plugins.File, error) {
	m := mode(stack.Config)
	behave(m)
	conf := fmt.Sprintf("service %s slot %s release %s zeo %s %v\n", stack.Service, stack.Slot, stack.Release, stack.ZEOAddress, stack.ZEOStorages)
	for _, in := range stack.Instances {
		conf += fmt.Sprintf("instance %d port %d var %s client %s\n", in.Index, in.Port, in.VarDir, in.ClientName)
	}
	ok := []plugins.File{{Path: "etc/app.conf", Data: []byte(conf)}, {Path: "bin/run", Mode: 0o755, Data: []byte("#!/bin/sh\n")}}
	switch m {
	case "outside":
		return []plugins.File{{Path: "../x", Data: []byte("x")}}, nil
	case "absolute":
		return []plugins.File{{Path: "/etc/passwd", Data: []byte("x")}}, nil
	case "unclean":
		return []plugins.File{{Path: "etc/./app.conf", Data: []byte("x")}}, nil
	case "setuid":
		return []plugins.File{{Path: "bin/run", Mode: 0o4755, Data: []byte("x")}}, nil
	case "huge":
		return []plugins.File{{Path: "big", Data: make([]byte, 9<<20)}}, nil
	case "total":
		var files []plugins.File
		for i := range 9 {
			files = append(files, plugins.File{Path: fmt.Sprintf("part%d", i), Data: make([]byte, 15<<19)})
		}
		return files, nil
	case "flood":
		return []plugins.File{{Path: "flood", Data: make([]byte, 90<<20)}}, nil
	case "many":
		files := make([]plugins.File, 10001)
		for i := range files {
			files[i] = plugins.File{Path: fmt.Sprintf("f%d", i)}
		}
		return files, nil
	case "error":
		return nil, errors.New("template app.conf: unknown variable zeo_port")
	}
	return ok, nil
}

func (testPlugin) Command(_ context.Context, stack plugins.StackContext, in plugins.InstanceContext) ([]string, map[string]string, error) {
	m := mode(stack.Config)
	behave(m)
	switch m {
	case "emptyargv":
		return nil, nil, nil
	case "emptyprogram":
		return []string{""}, nil, nil
	case "nul":
		return []string{"/bin/app", "a\x00b"}, nil, nil
	case "badenv":
		return []string{"/bin/app"}, map[string]string{"A=B": "x"}, nil
	}
	return []string{"/bin/app", "--port", fmt.Sprint(in.Port)}, map[string]string{"ZEO": stack.ZEOAddress, "VAR": in.VarDir}, nil
}

func (testPlugin) Check(_ context.Context, req plugins.CheckRequest) (plugins.CheckResult, error) {
	m := mode(req.Config)
	behave(m)
	switch m {
	case "fail":
		return plugins.CheckResult{OK: false, Message: "instance 1 answers 503"}, nil
	case "badutf8":
		return plugins.CheckResult{OK: true, Message: "bad \xff byte"}, nil
	case "baddetail":
		return plugins.CheckResult{OK: true, Details: map[string]string{"k": "\xfe"}}, nil
	case "longmsg":
		return plugins.CheckResult{OK: true, Message: strings.Repeat("m", 70<<10)}, nil
	case "negative":
		return plugins.CheckResult{OK: true, Duration: -time.Second}, nil
	case "error":
		return plugins.CheckResult{}, errors.New("cannot reach the slot")
	case "badutf8error":
		return plugins.CheckResult{}, errors.New("bad \xff byte")
	}
	labels := make([]string, 0, len(req.Targets))
	for _, t := range req.Targets {
		labels = append(labels, t.Label+"="+t.Addr)
	}
	return plugins.CheckResult{OK: true, Message: req.Service + "/" + req.Slot + " fine", Duration: 3 * time.Millisecond,
		Details: map[string]string{"targets": strings.Join(labels, ",")}}, nil
}

func (testPlugin) Notify(_ context.Context, event []byte, config map[string]any) error {
	m := mode(config)
	behave(m)
	if m == "error" {
		return errors.New("chat service said 401")
	}
	out, _ := config["out"].(string)
	if out == "" {
		return errors.New("no out setting")
	}
	return os.WriteFile(out, event, 0o600)
}

// serveFuture plays a plugin built for a later deploy that speaks only
// protocol version 2. It uses go-plugin directly, as plugins.Serve only
// speaks the versions this deploy knows; the cookie is the one in
// plugins/handshake.go.
func serveFuture(kind string) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			MagicCookieKey:   "DEPLOY_PLUGIN",
			MagicCookieValue: "6f1d8f4e2b9a4c07a3e5d1c9b8f27e40",
		},
		VersionedPlugins: map[int]plugin.PluginSet{2: {kind: futurePlugin{}}},
		GRPCServer:       plugin.DefaultGRPCServer,
	})
	os.Exit(0)
}

type futurePlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (futurePlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }

func (futurePlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("testplugin: host side of version 2 is not here")
}
