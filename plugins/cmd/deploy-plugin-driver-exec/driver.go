package main

import (
	"context"
	"fmt"

	"deploy/plugins"
)

// version is reported to the host in Info.
const version = "1.0.0"

// driver runs one command per instance. It holds no state: everything it
// needs arrives with each call.
type driver struct{}

var _ plugins.Driver = (*driver)(nil)

// Info names the driver.
func (*driver) Info(context.Context) (plugins.Info, error) {
	return plugins.Info{
		Name:        "exec",
		Kind:        plugins.KindDriver,
		Version:     version,
		Description: "runs any application that listens on the port it is given (WSGI servers, Node, Go), one command per instance",
	}, nil
}

// ConfigSchema describes driver_config.
func (*driver) ConfigSchema(context.Context) (plugins.Schema, error) {
	return plugins.Schema{Attributes: []plugins.Attribute{
		{Name: "command", Type: "list(string)", Required: true,
			Description: "argv of one instance; may use {port}, {index}, {var_dir}, {stack_dir} and {client_name}"},
		{Name: "env", Type: "map(string)",
			Description: "extra environment variables; values may use the same placeholders"},
		{Name: "env_file", Type: "bool",
			Description: "write deploy/instance-<n>.env per instance for operators to source (default true)"},
	}}, nil
}

// Render checks every instance's command and environment, so that a bad
// placeholder stops the slot before any process starts, and returns the env
// files.
func (*driver) Render(_ context.Context, sc plugins.StackContext) ([]plugins.File, error) {
	s, err := parseSettings(sc.Config)
	if err != nil {
		return nil, err
	}
	var files []plugins.File
	for _, in := range sc.Instances {
		if _, err := commandArgv(sc, in, s); err != nil {
			return nil, fmt.Errorf("instance %d: %w", in.Index, err)
		}
		vars, err := instanceEnv(sc, in, s)
		if err != nil {
			return nil, fmt.Errorf("instance %d: %w", in.Index, err)
		}
		if s.envFile {
			files = append(files, plugins.File{Path: envFilePath(in), Mode: envFileMode, Data: envFile(sc, in, vars)})
		}
	}
	return files, nil
}

// Command returns one instance's argv and environment.
func (*driver) Command(_ context.Context, sc plugins.StackContext, in plugins.InstanceContext) ([]string, map[string]string, error) {
	s, err := parseSettings(sc.Config)
	if err != nil {
		return nil, nil, err
	}
	argv, err := commandArgv(sc, in, s)
	if err != nil {
		return nil, nil, fmt.Errorf("instance %d: %w", in.Index, err)
	}
	vars, err := instanceEnv(sc, in, s)
	if err != nil {
		return nil, nil, fmt.Errorf("instance %d: %w", in.Index, err)
	}
	env := make(map[string]string, len(vars))
	for _, v := range vars {
		env[v.name] = v.value
	}
	return argv, env, nil
}

// commandArgv is the configured command with placeholders expanded.
func commandArgv(sc plugins.StackContext, in plugins.InstanceContext, s settings) ([]string, error) {
	values := placeholders(sc, in)
	argv := make([]string, len(s.command))
	for i, arg := range s.command {
		v, err := expand(arg, values)
		if err != nil {
			return nil, fmt.Errorf("command[%d] %q: %w", i, arg, err)
		}
		argv[i] = v
	}
	return argv, nil
}
