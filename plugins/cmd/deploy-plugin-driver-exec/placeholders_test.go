package main

import (
	"errors"
	"strings"
	"testing"
)

var testValues = map[string]string{
	"port": "8081", "index": "1", "var_dir": "/srv/var/app-blue-1",
	"stack_dir": "/srv/stacks/blue", "client_name": "app-blue-1",
}

func TestExpand_ReplacesEveryKnownPlaceholder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"", ""},
		{"127.0.0.1:{port}", "127.0.0.1:8081"},
		{"{index}", "1"},
		{"--pid={var_dir}/app.pid", "--pid=/srv/var/app-blue-1/app.pid"},
		{"{stack_dir}/bin/app", "/srv/stacks/blue/bin/app"},
		{"{client_name}-{port}-{client_name}", "app-blue-1-8081-app-blue-1"},
	} {
		got, err := expand(tc.in, testValues)
		if err != nil || got != tc.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestExpand_LeavesBracesThatAreNotPlaceholders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`{"workers": 4}`, `{"workers": 4}`},
		{"d = {'a': {port}}", "d = {'a': 8081}"},
		{"{", "{"},
		{"}", "}"},
		{"{}", "{}"},
		{"a{b", "a{b"},
		{"{port", "{port"},
		{"{{port}", "{port}"},
		{"{{{port}", "{8081"},
		{"x{{", "x{"},
	} {
		got, err := expand(tc.in, testValues)
		if err != nil || got != tc.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestExpand_RefusesAnUnknownPlaceholderAndListsTheKnownOnes(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"{prot}", "127.0.0.1:{PORT}", "${HOME}/x", "{zeo_address}"} {
		_, err := expand(in, testValues)
		if !errors.Is(err, errUnknownPlaceholder) {
			t.Fatalf("expand(%q) error = %v, want an unknown placeholder", in, err)
		}
		for _, want := range []string{"{port}", "{index}", "{var_dir}", "{stack_dir}", "{client_name}", "{{"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("expand(%q) error %q does not mention %s", in, err, want)
			}
		}
	}
	_, err := expand("{prot}", testValues)
	if want := "unknown placeholder {prot}"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want it to start with %q", err, want)
	}
}
