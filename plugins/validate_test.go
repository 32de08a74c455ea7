package plugins

import (
	"context"
	"strings"
	"testing"
)

func TestDriver_RefusesRenderAnswersThatBreakTheRules(t *testing.T) {
	h, _ := testHost(t)
	d := h.Driver(testSpec(t, KindDriver))
	for mode, want := range map[string]string{
		"outside":  `Render answer refused: file 1: path "../x" leaves the stack directory`,
		"absolute": `Render answer refused: file 1: path "/etc/passwd" is absolute`,
		"unclean":  `Render answer refused: file 1: path "etc/./app.conf" is not clean (it would be "etc/app.conf")`,
		"setuid":   `Render answer refused: file "bin/run": mode 04755 has bits beyond 0777`,
		"huge":     `Render answer refused: file "big": 9437184 bytes, more than the 8 MiB a file may have`,
		"total":    `Render answer refused: files add up to more than 64 MiB (at "part8")`,
		"many":     `Render answer refused: 10001 files, more than the 10000 allowed`,
		"flood":    `Render answer refused: it is larger than 80 MiB`,
		"error":    `Render failed: template app.conf: unknown variable zeo_port`,
	} {
		t.Run(mode, func(t *testing.T) {
			_, err := d.Render(context.Background(), testStack(mode))
			wantError(t, err, `plugin "test" (driver): `+want)
		})
	}
	if st := h.Status()[0]; !st.Running {
		t.Errorf("a plugin whose answer was refused was stopped: %+v", st)
	}
}

func TestDriver_RefusesCommandsThatBreakTheRules(t *testing.T) {
	h, _ := testHost(t)
	d := h.Driver(testSpec(t, KindDriver))
	for mode, want := range map[string]string{
		"emptyargv":    "Command answer refused: empty argv",
		"emptyprogram": "Command answer refused: argv[0] is empty",
		"nul":          "Command answer refused: argv[1] contains a NUL byte",
		"badenv":       `Command answer refused: environment name "A=B" is empty or contains '=' or NUL`,
	} {
		t.Run(mode, func(t *testing.T) {
			stack := testStack(mode)
			_, _, err := d.Command(context.Background(), stack, stack.Instances[0])
			wantError(t, err, `plugin "test" (driver): `+want)
		})
	}
}

func TestChecker_RefusesMessagesThatBreakTheRules(t *testing.T) {
	h, _ := testHost(t)
	c := h.Checker(testSpec(t, KindCheck))
	for mode, want := range map[string]string{
		"badutf8":   "Check answer refused: it holds text that is not valid UTF-8",
		"baddetail": "Check answer refused: it holds text that is not valid UTF-8",
		"longmsg":   "Check answer refused: message has 71680 bytes, more than the 64 KiB allowed",
		"negative":  "Check answer refused: negative duration -1s",
	} {
		t.Run(mode, func(t *testing.T) {
			_, err := c.Check(context.Background(), checkRequest(mode))
			wantError(t, err, `plugin "test" (check): `+want)
		})
	}
	// grpc-go replaces the bad byte of an error before it leaves the plugin,
	// so what arrives is readable; other plugins are refused in TestExplain.
	_, err := c.Check(context.Background(), checkRequest("badutf8error"))
	wantError(t, err, "Check failed: bad \uFFFD byte")
}

func TestValidatePath_AcceptsOnlyCleanRelativePathsInside(t *testing.T) {
	for _, ok := range []string{"a", "etc/app.conf", "a/b/c", "..a", "a..b/c", ".hidden"} {
		if err := validatePath(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"":                        "empty path",
		".":                       "is the stack directory itself",
		"..":                      "leaves the stack directory",
		"../x":                    "leaves the stack directory",
		"a/../../":                "is not clean",
		"a/../b":                  "is not clean",
		"a//b":                    "is not clean",
		"a/":                      "is not clean",
		"./a":                     "is not clean",
		"/abs":                    "is absolute",
		"a\x00b":                  "contains a NUL byte",
		"a\xffb":                  "is not valid UTF-8",
		strings.Repeat("a", 4097): "too long",
	} {
		err := validatePath(bad)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", bad, err, want)
		}
	}
}

func TestValidateFiles_CountsModesAndDuplicates(t *testing.T) {
	files, err := validateFiles([]File{{Path: "a", Mode: 0o600}, {Path: "b"}})
	if err != nil || files[0].Mode != 0o600 || files[1].Mode != 0o644 {
		t.Fatalf("%+v, %v", files, err)
	}
	for _, tc := range []struct {
		files []File
		want  string
	}{
		{[]File{{Path: "a"}, {Path: "a"}}, `"a" comes twice`},
		{[]File{{Path: "a", Mode: 0o2755}}, "mode 02755 has bits beyond 0777"},
		{[]File{{Path: "a", Mode: 0o1777}}, "mode 01777 has bits beyond 0777"},
		{[]File{{Path: "a", Mode: 0o40755}}, "has bits beyond 0777"},
	} {
		if _, err := validateFiles(tc.files); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.files, err, tc.want)
		}
	}
}

func TestValidateCommand_KeepsEnvironmentEntriesSingle(t *testing.T) {
	if err := validateCommand([]string{"/bin/app", ""}, map[string]string{"A": ""}); err != nil {
		t.Errorf("empty argument and value: %v", err)
	}
	for _, env := range []map[string]string{{"": "x"}, {"A\x00": "x"}, {"A": "x\x00y"}, {"\xff": "x"}} {
		if err := validateCommand([]string{"/bin/app"}, env); err == nil {
			t.Errorf("%q accepted", env)
		}
	}
}

func TestValidateInfoAndSchema(t *testing.T) {
	if in, err := validateInfo(Info{Name: "x"}, KindCheck); err != nil || in.Kind != KindCheck {
		t.Errorf("empty kind: %+v, %v", in, err)
	}
	if _, err := validateInfo(Info{Name: "x", Kind: KindDriver}, KindCheck); err == nil || !strings.Contains(err.Error(), `it says it is a "driver" plugin, but it is configured as a check`) {
		t.Errorf("kind mismatch: %v", err)
	}
	if err := validateSchema(Schema{Attributes: []Attribute{{Name: "url", Type: "string"}, {Name: "tags", Type: "map(string)"}}}); err != nil {
		t.Error(err)
	}
	for _, s := range []Schema{
		{Attributes: []Attribute{{Name: "", Type: "string"}}},
		{Attributes: []Attribute{{Name: "a\nb", Type: "string"}}},
		{Attributes: []Attribute{{Name: "a", Type: "object"}}},
		{Attributes: []Attribute{{Name: "a", Type: "bool"}, {Name: "a", Type: "bool"}}},
		{Attributes: []Attribute{{Name: "a", Type: "bool", Description: "\xff"}}},
	} {
		if err := validateSchema(s); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
}
