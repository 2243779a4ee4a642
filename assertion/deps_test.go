package assertion_test

import (
	"testing"

	"github.com/authchain/authchain/internal/depcheck"
)

// TestDependencies: minting links go-jose and authn only, no Kubernetes
// client and no second JOSE library; the verifier links no Kubernetes
// client; impersonation links client-go's rest but no JOSE library.
func TestDependencies(t *testing.T) {
	for _, tt := range []struct {
		pkg    string
		banned []string
	}{
		{"assertion", []string{"k8s.io/", "golang-jwt", "cel-go", "golang-lru", depcheck.Module + "authn/strategies", depcheck.Module + "authn/bearer"}},
		{"assertion/verify", []string{"k8s.io/", "cel-go", depcheck.Module + "authn/strategies"}},
		{"impersonate", []string{"go-jose", "golang-jwt", "cel-go", "k8s.io/client-go/informers", depcheck.Module + "authn/strategies", depcheck.Module + "assertion"}},
	} {
		t.Run(tt.pkg, func(t *testing.T) { depcheck.Forbid(t, tt.pkg, tt.banned...) })
	}
}
