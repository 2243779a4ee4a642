package strategies

import "time"

// Test helpers shared with the external test package.

// TestClock is the settable clock of the package's tests.
type TestClock = testClock

// NewTestClock returns a TestClock at a fixed instant.
var NewTestClock = newTestClock

// NewTestClockAt returns a TestClock at t.
func NewTestClockAt(t time.Time) *TestClock { return &testClock{t: t} }

// RaceDetectorOn reports whether the test binary was built with -race.
var RaceDetectorOn = raceDetectorOn
