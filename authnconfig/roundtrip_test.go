package authnconfig

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"sigs.k8s.io/yaml"
)

// TestExampleRoundTrip writes the full example back out and reads it again:
// every field survives, so no setting is lost by a tool that rewrites the
// file.
func TestExampleRoundTrip(t *testing.T) {
	cfg, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"forwarded", "jwt", "tokenReview", "serviceAccount", "annotation", "synthetic"} {
		found := false
		for _, s := range cfg.Spec.Strategies {
			found = found || s.kinds()[0] == kind
		}
		if !found {
			t.Errorf("the example shows no %s strategy", kind)
		}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(out, WithDir("testdata"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if diff := cmp.Diff(cfg, again, cmpopts.IgnoreUnexported(ChainConfiguration{})); diff != "" {
		t.Errorf("round trip (-loaded +again):\n%s", diff)
	}
	if diff := cmp.Diff(cfg.files, again.files, cmp.AllowUnexported(referencedFile{})); diff != "" {
		t.Errorf("files read (-loaded +again):\n%s", diff)
	}
	if len(cfg.files) != 5 {
		t.Errorf("read %d files, want 5", len(cfg.files))
	}
}

// TestREADMEShowsExample: the README's configuration file is
// testdata/example.yaml, which the tests load, so the README stays valid.
func TestREADMEShowsExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n### Configuration file\n")
	if !ok {
		t.Fatal("README has no Configuration file section")
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("the Configuration file section shows no YAML")
	}
	block, _, _ = strings.Cut(block, "```\n")
	if diff := cmp.Diff(string(example), block); diff != "" {
		t.Errorf("README's file differs from testdata/example.yaml (-example +README):\n%s", diff)
	}
}
