//go:build race

package chiadapter_test

// raceDetector: the race detector adds allocations of its own, so the
// allocation guards do not hold under -race.
const raceDetector = true
