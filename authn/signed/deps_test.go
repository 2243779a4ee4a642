package signed_test

import (
	"testing"

	"github.com/authchain/authchain/internal/depcheck"
)

// TestDependencies: the vendor strategies link no Kubernetes package, no
// CEL, no metrics and not the header-trust strategies; only the JOSE code
// the key sets already need.
func TestDependencies(t *testing.T) {
	depcheck.Forbid(t, "authn/signed", "k8s.io/", "cel-go", "prometheus", depcheck.Module+"authn/strategies")
}
