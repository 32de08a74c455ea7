package main

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"deploy/plugins"
)

// envFileMode keeps the env file from other users: configured variables
// often hold database passwords.
const envFileMode = 0o640

// envVar is one variable of an instance's environment.
type envVar struct{ name, value string }

// envFilePath is where an instance's env file is written, relative to the
// stack directory.
func envFilePath(in plugins.InstanceContext) string {
	return "deploy/instance-" + strconv.Itoa(in.Index) + ".env"
}

// instanceEnv is the environment this driver gives one instance: deploy's
// own variables first, in a fixed order, then the configured ones by name,
// with placeholders expanded. The env file and the running process see the
// same list, so an operator who sources the file sees what the process saw.
func instanceEnv(sc plugins.StackContext, in plugins.InstanceContext, s settings) ([]envVar, error) {
	vars := []envVar{
		{"PORT", strconv.Itoa(in.Port)},
		{"INSTANCE", strconv.Itoa(in.Index)},
		{"SERVICE", sc.Service},
		{"SLOT", sc.Slot},
	}
	if sc.Release != "" {
		vars = append(vars, envVar{"RELEASE", sc.Release})
	}
	vars = append(vars, envVar{"VAR_DIR", in.VarDir}, envVar{"CLIENT_NAME", in.ClientName})
	if sc.ZEOAddress != "" {
		// Without a zeo server in the config, an application may well be
		// given these by hand; with one, two answers would disagree.
		for _, name := range []string{"ZEO_ADDRESS", "ZEO_STORAGES"} {
			if _, ok := s.env[name]; ok {
				return nil, fmt.Errorf("env[%q]: the service's zeo server sets it already; remove it from env", name)
			}
		}
		vars = append(vars, envVar{"ZEO_ADDRESS", sc.ZEOAddress}, envVar{"ZEO_STORAGES", strings.Join(sc.ZEOStorages, " ")})
	}
	values := placeholders(sc, in)
	for _, name := range slices.Sorted(maps.Keys(s.env)) {
		v, err := expand(s.env[name], values)
		if err != nil {
			return nil, fmt.Errorf("env[%q]: %w", name, err)
		}
		vars = append(vars, envVar{name, v})
	}
	return vars, nil
}

// envFile writes vars as NAME=value lines that sh can source. Values are
// single-quoted unless they are plainly safe, so spaces, $ and quotes in a
// configured value reach the shell as written.
func envFile(sc plugins.StackContext, in plugins.InstanceContext, vars []envVar) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by deploy for %s slot %s, instance %d. Do not edit: deploy rewrites it whenever it renders the stack.\n", sc.Service, sc.Slot, in.Index)
	fmt.Fprintf(&b, "# Load it with: set -a; . ./%s; set +a\n", envFilePath(in))
	for _, v := range vars {
		b.WriteString(v.name)
		b.WriteByte('=')
		b.WriteString(shellQuote(v.value))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// shellQuote returns s as one sh word.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !shellSafe(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellSafe(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("_@%+=:,./-", r)
}
