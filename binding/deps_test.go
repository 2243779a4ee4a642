package binding_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStandardLibraryOnly: a program that only signs links neither
// Kubernetes nor JOSE code; every dependency is in the standard library.
func TestStandardLibraryOnly(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	const self = "github.com/authchain/authchain/binding"
	out, err := exec.Command(goTool, "list", "-deps", self).Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 2 {
		t.Fatalf("go list -deps listed %q; want the package and its imports", deps)
	}
	for _, dep := range deps {
		for _, banned := range []string{"k8s.io/", "go-jose", "golang-jwt"} {
			if strings.Contains(dep, banned) {
				t.Errorf("dependency %s contains %q", dep, banned)
			}
		}
		first, _, _ := strings.Cut(dep, "/")
		if dep != self && strings.Contains(first, ".") {
			t.Errorf("dependency %s is not in the standard library", dep)
		}
	}
}
