//go:build !race

package authchain_test

const raceDetector = false
