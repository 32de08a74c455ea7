package main

import (
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// complete asks for completions as the shell scripts do, and returns them
// without their descriptions, and the directive.
func complete(t *testing.T, args ...string) (words []string, directive string) {
	t.Helper()
	out := mustDeploy(t, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines[:len(lines)-1] {
		w, _, _ := strings.Cut(l, "\t")
		words = append(words, w)
	}
	return words, lines[len(lines)-1]
}

func TestCompletion_NamesComeFromTheConfiguration(t *testing.T) {
	cfg := opsConfig(t, "ops.hcl")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"switch", ""}, []string{"demo", "shop"}},
		{[]string{"switch", "demo", "--to", ""}, []string{"blue", "green"}},
		{[]string{"switch", "shop", "--to", ""}, []string{"a", "b", "c"}},
		{[]string{"up", "shop", "--slot", ""}, []string{"a", "b", "c"}},
		{[]string{"logs", "--slot", ""}, []string{"blue", "green", "a", "b", "c"}},
		{[]string{"maintenance", ""}, []string{"on", "off"}},
		{[]string{"maintenance", "on", ""}, []string{"demo", "shop"}},
		{[]string{"zeo", "check", ""}, []string{"main"}},
		{[]string{"zeo", "pack", ""}, []string{"main"}},
		{[]string{"history", "demo", ""}, nil},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish"}},
	} {
		got, directive := complete(t, append([]string{"--config", cfg}, tc.args...)...)
		got = slices.DeleteFunc(got, func(w string) bool { return strings.HasPrefix(w, "-") }) // required flags
		if !slices.Equal(got, tc.want) || directive != ":4" {
			t.Errorf("deploy %s<TAB>: %q %s, want %q :4 (no file names)", strings.Join(tc.args, " "), got, directive, tc.want)
		}
	}
}

func TestCompletion_EveryServiceArgumentIsCompleted(t *testing.T) {
	cfg := opsConfig(t, "ops.hcl")
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		placeholders := usePlaceholders(c.Use)
		i := slices.Index(placeholders, "SERVICE")
		if i < 0 {
			return
		}
		n++
		args := append([]string{"--config", cfg}, strings.Fields(c.CommandPath())[1:]...)
		for _, p := range placeholders[:i] {
			args = append(args, strings.Split(p, "|")[0])
		}
		got, _ := complete(t, append(args, "")...)
		if !slices.Contains(got, "demo") || !slices.Contains(got, "shop") {
			t.Errorf("deploy %s <TAB> completes %q, not the services", strings.Join(args[2:], " "), got)
		}
	}
	walk(newRoot(&globals{stdout: io.Discard, stderr: io.Discard}))
	if n < 12 {
		t.Errorf("only %d commands take a SERVICE; did the Use lines change?", n)
	}
}

func TestCompletion_AConfigurationThatDoesNotLoadCompletesNothing(t *testing.T) {
	for _, args := range [][]string{{"switch", ""}, {"switch", "demo", "--to", ""}} {
		got, directive := complete(t, append([]string{"--config", filepath.Join(t.TempDir(), "none.hcl")}, args...)...)
		got = slices.DeleteFunc(got, func(w string) bool { return strings.HasPrefix(w, "-") })
		if len(got) != 0 || directive != ":4" {
			t.Errorf("deploy %s<TAB> without a configuration: %q %s, want nothing and no file names", strings.Join(args, " "), got, directive)
		}
	}
}

func TestCompletion_PrintsAScriptForEachShell(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "complete -o default -F __start_deploy deploy",
		"zsh":  "#compdef deploy",
		"fish": "complete -c deploy ",
	} {
		if out := mustDeploy(t, "completion", shell); !strings.Contains(out, want) {
			t.Errorf("deploy completion %s does not contain %q", shell, want)
		}
	}
	if _, _, code := deploy(t, "completion", "powershell"); code != exitUsage {
		t.Errorf("deploy completion powershell: exit %d, want %d", code, exitUsage)
	}
}
