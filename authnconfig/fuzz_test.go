package authnconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/tools/txtar"
	"sigs.k8s.io/yaml"
)

// FuzzParse: Parse never panics, and a configuration it accepts is
// accepted again, unchanged, once written back out.
func FuzzParse(f *testing.F) {
	if example, err := os.ReadFile("testdata/example.yaml"); err == nil {
		f.Add(example)
	}
	cases, _ := filepath.Glob("testdata/invalid/*.txtar")
	for _, c := range cases {
		if ar, err := txtar.ParseFile(c); err == nil {
			for _, file := range ar.Files {
				if file.Name == "config.yaml" {
					f.Add(file.Data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, WithDir("testdata"))
		if err != nil {
			return
		}
		out, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out, WithDir("testdata"))
		if err != nil {
			t.Fatalf("the accepted configuration, written out, is refused: %v\n%s", err, out)
		}
		if diff := cmp.Diff(cfg, again, cmpopts.IgnoreUnexported(ChainConfiguration{})); diff != "" {
			t.Errorf("round trip (-first +again):\n%s", diff)
		}
	})
}
