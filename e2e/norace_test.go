//go:build linux && !race

package e2e

// raceEnabled reports a -race build, under which heap sizes are not those
// of a normal build.
const raceEnabled = false
