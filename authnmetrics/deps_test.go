package authnmetrics_test

import (
	"testing"

	"github.com/authchain/authchain/internal/depcheck"
)

// TestDependencies: Prometheus is linked by this package alone, and this
// package links no Kubernetes client and no JOSE library, so a program
// pays for the metrics only when it mounts them.
func TestDependencies(t *testing.T) {
	for _, tt := range []struct {
		pkg    string
		banned []string
	}{
		{"authnmetrics", []string{"k8s.io/", "go-jose", "golang-jwt", depcheck.Module + "authn/strategies", depcheck.Module + "kubecache"}},
		{"authn", []string{"prometheus"}},
		{"authn/bearer", []string{"prometheus"}},
		{"authn/bearer/jwks", []string{"prometheus"}},
		{"authn/bearer/jwt", []string{"prometheus"}},
		{"authn/bearer/tokenreview", []string{"prometheus"}},
		{"authn/strategies", []string{"prometheus"}},
		{"kubecache", []string{"prometheus"}},
		{"chiadapter", []string{"prometheus"}},
		{"authnconfig", []string{"prometheus", "fsnotify"}},
		{"authnconfig/reload", []string{"prometheus"}},
	} {
		t.Run(tt.pkg, func(t *testing.T) { depcheck.Forbid(t, tt.pkg, tt.banned...) })
	}
}
