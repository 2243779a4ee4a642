package authnmetrics_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: Prometheus is linked by this package alone, and this
// package links no Kubernetes client and no JOSE library, so a program
// pays for the metrics only when it mounts them.
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
		{"authnmetrics", []string{"k8s.io/", "go-jose", "golang-jwt", module + "authn/strategies", module + "kubecache"}},
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
