package bearer_test

import (
	"testing"

	"github.com/authchain/authchain/internal/depcheck"
)

// TestDependencies: each token package links only what its doc comment
// says. A custom token strategy that imports bearer gets no Kubernetes
// client and no JOSE library; the key sets and the jwt strategy link no
// Kubernetes client either. Only the configuration package links the CEL
// interpreter.
func TestDependencies(t *testing.T) {
	for _, tt := range []struct {
		pkg    string
		banned []string
	}{
		{"authn", []string{"cel-go"}},
		{"authn/strategies", []string{"cel-go"}},
		{"authn/bearer", []string{"k8s.io/", "go-jose", "golang-jwt", "cel-go", depcheck.Module + "authn/strategies"}},
		{"authn/bearer/jwks", []string{"k8s.io/", "golang-jwt", "cel-go", depcheck.Module + "authn/strategies"}},
		{"authn/bearer/jwt", []string{"k8s.io/client-go", "k8s.io/api", "k8s.io/apimachinery", "cel-go", depcheck.Module + "authn/strategies"}},
		{"authn/bearer/tokenreview", []string{"cel-go"}},
		// The per-request copy and binding rule the token strategies share.
		{"internal/tokenbind", []string{"k8s.io/", "go-jose", "golang-jwt", "cel-go", depcheck.Module + "authn/strategies", depcheck.Module + "authn/bearer"}},
	} {
		t.Run(tt.pkg, func(t *testing.T) { depcheck.Forbid(t, tt.pkg, tt.banned...) })
	}
}
