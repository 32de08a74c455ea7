//go:build race

package e2e

// raceEnabled makes the binaries under test race-checked too when the suite
// runs with -race.
const raceEnabled = true
