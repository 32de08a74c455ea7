package e2e

import "os"

// soakRounds is how many rounds a long-running test makes: ci in the test
// suite, soak under make soak (DEPLOY_SOAK=1), which also prints the
// figures (go test -v).
func soakRounds(ci, soak int) int {
	if os.Getenv("DEPLOY_SOAK") != "" {
		return soak
	}
	return ci
}
