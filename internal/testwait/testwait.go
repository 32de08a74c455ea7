// Package testwait is test support: it polls for a condition that real
// processes make true in their own time, so that tests wait for what they
// need rather than sleeping for a guess.
package testwait

import (
	"testing"
	"time"
)

// For polls cond until it holds, failing the test after a generous deadline
// (a slow, shared machine must not fail a correct test).
func For(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
