package bearer_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: each token package links only what its doc comment
// says. A custom token strategy that imports bearer gets no Kubernetes
// client and no JOSE library; the key sets and the jwt strategy link no
// Kubernetes client either. Only the configuration package links the CEL
// interpreter.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	const module = "github.com/authchain/authchain/"
	for _, tt := range []struct {
		pkg    string
		banned []string
	}{
		{"authn", []string{"cel-go"}},
		{"authn/strategies", []string{"cel-go"}},
		{"authn/bearer", []string{"k8s.io/", "go-jose", "golang-jwt", "cel-go", module + "authn/strategies"}},
		{"authn/bearer/jwks", []string{"k8s.io/", "golang-jwt", "cel-go", module + "authn/strategies"}},
		{"authn/bearer/jwt", []string{"k8s.io/client-go", "k8s.io/api", "k8s.io/apimachinery", "cel-go", module + "authn/strategies"}},
		{"authn/bearer/tokenreview", []string{"cel-go"}},
	} {
		t.Run(tt.pkg, func(t *testing.T) {
			out, err := exec.Command(goTool, "list", "-deps", module+tt.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps: %v", err)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 2 {
				t.Fatalf("go list -deps listed %q; want the package and its imports", deps)
			}
			for _, dep := range deps {
				for _, banned := range tt.banned {
					if strings.Contains(dep, banned) {
						t.Errorf("dependency %s contains %q", dep, banned)
					}
				}
			}
		})
	}
}
