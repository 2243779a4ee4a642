package binding_test

import (
	"strings"
	"testing"

	"github.com/authchain/authchain/internal/depcheck"
)

// TestStandardLibraryOnly: a program that only signs links neither
// Kubernetes nor JOSE code; every dependency is in the standard library.
func TestStandardLibraryOnly(t *testing.T) {
	depcheck.Forbid(t, "binding", "k8s.io/", "go-jose", "golang-jwt")
	for _, dep := range depcheck.Deps(t, "binding") {
		first, _, _ := strings.Cut(dep, "/")
		if dep != depcheck.Module+"binding" && strings.Contains(first, ".") {
			t.Errorf("dependency %s is not in the standard library", dep)
		}
	}
}
