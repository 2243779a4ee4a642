//go:build linux

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// harness is shared by the tests of this binary; TestMain sets it unless
// -short is given.
var harness *Harness

// TestMain builds the tools before the tests run, so the build (minutes
// from a cold cache) does not count against go test's -timeout, and
// stops every process afterwards. Processes that survive a crash of this
// binary are killed by the kernel (see Reaper).
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // the tests skip themselves
	}
	os.Exit(runE2E(m))
}

func runE2E(m *testing.M) int {
	root, err := RepoRoot(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	buildCtx, cancelBuild := context.WithTimeout(ctx, 45*time.Minute)
	tools, err := BuildTools(buildCtx, root, os.Stderr)
	cancelBuild()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the tools:", err)
		return 1
	}
	harness = NewHarness(ctx, tools)
	code := m.Run()

	harness.Reaper.KillAll()
	if pids := harness.Reaper.Running(); len(pids) > 0 {
		fmt.Fprintln(os.Stderr, "e2e: processes still running after teardown:", pids)
		code = 1
	}
	name := "e2e-report.txt"
	if raceEnabled {
		name = "e2e-report-race.txt"
	}
	report := filepath.Join(root, ".cache", name)
	if err := harness.Report.WriteFile(report); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
	}
	return code
}

// requireHarness skips t in the fast tier (-short).
func requireHarness(t *testing.T) *Harness {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e tier: skipped with -short")
	}
	return harness
}
