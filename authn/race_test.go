//go:build race

package authn_test

// raceEnabled: the race detector adds allocations of its own, so the
// allocation guards do not hold under -race.
const raceEnabled = true
