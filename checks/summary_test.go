package checks

import (
	"fmt"
	"testing"
)

func TestSummary_CountsPassesAndNamesFailures(t *testing.T) {
	t.Parallel()
	ok := Result{Check: "home", Target: "instance 1", Via: "direct", OK: true, Message: "ok: status 200"}
	bad := Result{Check: "home", Target: "instance 2", Via: "direct", Message: "status 500, want 200-399"}
	cmd := Result{Check: "selftest", Target: "instance 2", Message: "exit status 3: boom"}

	if got := Summary([]Result{ok, ok, ok}); got != "3/3 passed" {
		t.Errorf("all passed: %q", got)
	}
	if got, want := Summary([]Result{ok, bad, ok}), "2/3 passed; failed: home on instance 2 (direct): status 500, want 200-399"; got != want {
		t.Errorf("one failed:\n got %q\nwant %q", got, want)
	}
	if got, want := Summary([]Result{bad, ok, cmd}), "1/3 passed; failed: home on instance 2 (direct): status 500, want 200-399; selftest on instance 2: exit status 3: boom"; got != want {
		t.Errorf("two failed:\n got %q\nwant %q", got, want)
	}
	if got := Summary(nil); got != "no checks ran" {
		t.Errorf("none: %q", got)
	}
	if f := Failed([]Result{ok, bad, ok, cmd}); len(f) != 2 || f[0] != bad || f[1] != cmd {
		t.Errorf("Failed = %+v", f)
	}
}

func TestSummary_ListsOnlyTheFirstFewFailures(t *testing.T) {
	t.Parallel()
	var rs []Result
	for i := range 8 {
		rs = append(rs, Result{Check: "home", Target: fmt.Sprintf("instance %d", i+1), Via: "proxy", Message: "status 502, want 200-399"})
	}
	want := "0/8 passed; failed: home on instance 1 (proxy): status 502, want 200-399; " +
		"home on instance 2 (proxy): status 502, want 200-399; home on instance 3 (proxy): status 502, want 200-399; " +
		"home on instance 4 (proxy): status 502, want 200-399; home on instance 5 (proxy): status 502, want 200-399; and 3 more"
	if got := Summary(rs); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
