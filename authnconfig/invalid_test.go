package authnconfig

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the want section of testdata/invalid/*.txtar")

// TestInvalidFiles loads each bad configuration of testdata/invalid: a
// txtar archive of config.yaml, the files it refers to, and want, every
// error Load must report, one a line. No error may quote a referenced
// file's contents. -update rewrites want.
func TestInvalidFiles(t *testing.T) {
	cases, err := filepath.Glob("testdata/invalid/*.txtar")
	if err != nil || len(cases) < 10 {
		t.Fatalf("found %d cases: %v", len(cases), err)
	}
	for _, file := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var want []string
			var secrets [][]byte
			for _, f := range ar.Files {
				if f.Name == "want" {
					want = lines(string(f.Data))
					continue
				}
				if f.Name != "config.yaml" && len(f.Data) > 0 {
					secrets = append(secrets, f.Data)
				}
				path := filepath.Join(dir, f.Name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, f.Data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg, err := Load(filepath.Join(dir, "config.yaml"))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load = %v, %v; want an *Error", cfg, err)
			}
			var got []string
			for _, fe := range e.Errors {
				got = append(got, fe.Error())
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), strings.TrimSpace(string(s))) {
					t.Errorf("the error quotes a referenced file:\n%v", err)
				}
			}
			if *update {
				for i := range ar.Files {
					if ar.Files[i].Name == "want" {
						ar.Files[i].Data = []byte(strings.Join(got, "\n") + "\n")
					}
				}
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
