package checks

import (
	"fmt"
	"strings"
)

// Failed returns the failed results, in order.
func Failed(results []Result) []Result {
	var failed []Result
	for _, r := range results {
		if !r.OK {
			failed = append(failed, r)
		}
	}
	return failed
}

// Summary says "3/3 passed" or "2/3 passed; failed: home on instance 2
// (direct): status 500, want 200-399": one line a deployment manager can read
// in a terminal or a log and act on. It spells out the first few failures
// only, because a broken release fails every check on every instance the
// same way; Failed has them all.
func Summary(results []Result) string {
	if len(results) == 0 {
		return "no checks ran"
	}
	failed := Failed(results)
	s := fmt.Sprintf("%d/%d passed", len(results)-len(failed), len(results))
	if len(failed) == 0 {
		return s
	}
	parts := make([]string, 0, min(len(failed), maxListedFailed)+1)
	for _, r := range failed[:min(len(failed), maxListedFailed)] {
		parts = append(parts, describeFailure(r))
	}
	if more := len(failed) - maxListedFailed; more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	return s + "; failed: " + strings.Join(parts, "; ")
}

// describeFailure names a failed result: "home on instance 2 (direct): status 500, want 200-399".
func describeFailure(r Result) string {
	where := r.Check + " on " + r.Target
	if r.Via != "" {
		where += " (" + r.Via + ")"
	}
	return where + ": " + r.Message
}
