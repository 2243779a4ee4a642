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

	"github.com/authchain/authchain/internal/logcapture"
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
	// Every log line of the run (slog, log, klog: client-go's), the apps'
	// authentication records included, goes to one capture, which must
	// hold none of the tokens the API server issued to the tests.
	capture, stopCapture, err := logcapture.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	code := m.Run()
	stopCapture()
	logs := capture.String()
	found, checked, _ := issuedTokens.Find(logs)
	harness.Report.add(fmt.Sprintf("log capture: %d bytes of logs searched for %d forms of %d issued tokens; %d found", len(logs), checked, issuedTokens.Len(), len(found)))
	if len(found) > 0 {
		// The forms themselves are secrets: say how many, not which.
		fmt.Fprintf(os.Stderr, "e2e: the logs hold %d forms of tokens the API server issued during the run\n", len(found))
		code = 1
	}

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
