package main

import (
	"fmt"
	"maps"
	"slices"
)

// settings are a service's driver_config, decoded.
type settings struct {
	command []string          // argv, placeholders not yet expanded
	env     map[string]string // extra variables, placeholders not yet expanded
	envFile bool              // write deploy/instance-<n>.env per instance
}

// parseSettings decodes the driver_config the host sends. The host has
// checked it against the schema already; the types are checked again here
// because a plugin must not panic on a host that got it wrong.
func parseSettings(cfg map[string]any) (settings, error) {
	s := settings{envFile: true}
	raw, ok := cfg["command"]
	if !ok {
		return s, fmt.Errorf("setting %q is missing: give the argv that starts one instance, such as [\"bin/gunicorn\", \"--bind\", \"127.0.0.1:{port}\", \"app:wsgi\"]", "command")
	}
	list, ok := raw.([]any)
	if !ok {
		return s, fmt.Errorf("setting %q must be a list of strings, not %T", "command", raw)
	}
	if len(list) == 0 {
		return s, fmt.Errorf("setting %q is empty: give at least the program to run", "command")
	}
	for i, v := range list {
		arg, ok := v.(string)
		if !ok {
			return s, fmt.Errorf("command[%d] must be a string, not %T", i, v)
		}
		s.command = append(s.command, arg)
	}
	if s.command[0] == "" {
		return s, fmt.Errorf("command[0] is empty: it names the program to run")
	}

	if raw, ok := cfg["env"]; ok {
		m, ok := raw.(map[string]any)
		if !ok {
			return s, fmt.Errorf("setting %q must be a map of strings, not %T", "env", raw)
		}
		s.env = make(map[string]string, len(m))
		for _, name := range slices.Sorted(maps.Keys(m)) {
			v, ok := m[name].(string)
			if !ok {
				return s, fmt.Errorf("env[%q] must be a string, not %T", name, m[name])
			}
			if err := checkEnvName(name); err != nil {
				return s, err
			}
			s.env[name] = v
		}
	}

	if raw, ok := cfg["env_file"]; ok {
		b, ok := raw.(bool)
		if !ok {
			return s, fmt.Errorf("setting %q must be true or false, not %T", "env_file", raw)
		}
		s.envFile = b
	}
	return s, nil
}

// reservedEnv are the variables deploy sets for every process it starts, or
// that this driver sets itself. deploy's own always win over a plugin's, so a
// configured value would be silently dropped; refusing it says so instead.
var reservedEnv = []string{"PORT", "INSTANCE", "SERVICE", "SLOT", "RELEASE", "VAR_DIR", "CLIENT_NAME"}

// checkEnvName refuses names a shell could not source from the env file, and
// the reserved ones.
func checkEnvName(name string) error {
	if !validEnvName(name) {
		return fmt.Errorf("env[%q]: a variable name is a letter or _ followed by letters, digits or _", name)
	}
	if slices.Contains(reservedEnv, name) {
		return fmt.Errorf("env[%q]: deploy sets %s itself for every instance; use another name", name, name)
	}
	return nil
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range []byte(name) {
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
