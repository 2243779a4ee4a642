//go:build race

package binding_test

// raceDetector: under -race sync.Pool drops entries on purpose, so the
// allocation guards of pooled paths do not hold.
const raceDetector = true
