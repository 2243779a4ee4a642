package strategies

// Test helpers shared with the external test package.

// TestClock is the settable clock of the package's tests.
type TestClock = testClock

// NewTestClock returns a TestClock at a fixed instant.
var NewTestClock = newTestClock
