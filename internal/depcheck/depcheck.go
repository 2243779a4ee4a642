// Package depcheck holds the check behind the dependency tests: what a
// package links, from `go list -deps`, against what its documentation
// promises it does not.
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// Module is the import path every package checked here starts with.
const Module = "github.com/authchain/authchain/"

// Deps returns the import paths pkg (relative to Module) links, itself
// included, as `go list -deps` prints them. It fails t if the go tool
// cannot answer or lists nothing beyond the package.
func Deps(t testing.TB, pkg string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("depcheck: the go tool is not on PATH: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", Module+pkg).Output()
	if err != nil {
		t.Fatalf("depcheck: go list -deps %s: %v", pkg, err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 2 {
		t.Fatalf("depcheck: go list -deps listed %q; want the package and its imports", deps)
	}
	return deps
}

// Forbid fails t for every dependency of pkg whose import path contains
// one of banned.
func Forbid(t testing.TB, pkg string, banned ...string) {
	t.Helper()
	for _, dep := range Deps(t, pkg) {
		for _, b := range banned {
			if strings.Contains(dep, b) {
				t.Errorf("%s links %s, which contains %q", pkg, dep, b)
			}
		}
	}
}
