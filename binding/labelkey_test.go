package binding_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/validate/content"

	"github.com/authchain/authchain/binding"
)

// labelKeyCases are the edges of the Kubernetes qualified-name rule.
var labelKeyCases = []string{
	"", "a", "A", "0", "app", "MyName", "my.name", "my_name", "123-abc", "ambient-code.io/role",
	"-a", "a-", "_a", "a_", ".a", "a.", "a b", "a,b", "a/b/c", "/a", "a/", "/",
	"example.com/MyName", "Example.com/name", "ex_ample.com/name", "-ex.com/name", "ex-.com/name",
	"ex..com/name", ".ex.com/name", "ex.com./name", "1.2.3/name", "a-b.c-d/e_f.g-h",
	strings.Repeat("a", 63), strings.Repeat("a", 64),
	strings.Repeat("a", 253) + "/n", strings.Repeat("a", 254) + "/n",
	strings.Repeat("a.", 126) + "a/n", strings.Repeat("a", 70) + ".b/n",
	"é", "a\u00e9b", "a\x00b", "ns/a\nb", "a\n",
}

// TestLabelKeyMatchesKubernetes: the written-out rule accepts exactly the
// label keys Kubernetes accepts.
func TestLabelKeyMatchesKubernetes(t *testing.T) {
	for _, k := range labelKeyCases {
		if got, want := binding.IsLabelKey(k), len(content.IsLabelKey(k)) == 0; got != want {
			t.Errorf("isLabelKey(%q) = %v, Kubernetes says %v", k, got, want)
		}
	}
}

func FuzzLabelKey(f *testing.F) {
	for _, k := range labelKeyCases {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k string) {
		if got, want := binding.IsLabelKey(k), len(content.IsLabelKey(k)) == 0; got != want {
			t.Fatalf("isLabelKey(%q) = %v, Kubernetes says %v", k, got, want)
		}
	})
}

func TestLabelKeyAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation guard")
	}
	k := strings.Repeat("a.", 100) + "io/" + strings.Repeat("b", 63)
	if n := testing.AllocsPerRun(100, func() { binding.IsLabelKey(k) }); n != 0 {
		t.Fatalf("isLabelKey: %v allocs, want 0", n)
	}
}
