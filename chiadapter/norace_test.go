//go:build !race

package chiadapter_test

const raceDetector = false
