//go:build !race

package binding_test

const raceDetector = false
