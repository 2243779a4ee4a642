package authntest

// Adversarial tests of Golden with hostile or careless txtar files. Each
// case runs Golden in a child process (this test binary), since a failing
// case must fail the child's test, not this one.

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/authchain/authchain/authn"
)

const (
	a8GoldenFile   = "AUTHNTEST_ATTACK8_GOLDEN_FILE"
	a8GoldenUpdate = "AUTHNTEST_ATTACK8_GOLDEN_UPDATE"
)

// TestAttack8GoldenChild is the child: it runs Golden on one file with a
// chain that makes every request alice. It does nothing when run directly.
func TestAttack8GoldenChild(t *testing.T) {
	file := os.Getenv(a8GoldenFile)
	if file == "" {
		t.Skip("child of the Attack8Golden tests")
	}
	Golden(t, file, func(t testing.TB, _ GoldenCase) authn.Authenticator {
		c, err := authn.NewChain(authn.StrategyFunc("alice", func(_ *http.Request, p authn.Principal) authn.Decision {
			p.User = authn.User{Name: "alice"}
			return authn.Contribute(p, "always alice")
		}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}, WithUpdate(os.Getenv(a8GoldenUpdate) != ""))
}

// runGoldenChild runs Golden on the txtar text in a child and reports
// whether it passed, with its output.
func runGoldenChild(t *testing.T, text []byte, update bool) (passed bool, out string, file string) {
	t.Helper()
	file = filepath.Join(t.TempDir(), "case.txtar")
	if err := os.WriteFile(file, text, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAttack8GoldenChild$", "-test.v")
	cmd.Env = append(os.Environ(), a8GoldenFile+"="+file)
	if update {
		cmd.Env = append(cmd.Env, a8GoldenUpdate+"=1")
	}
	b, err := cmd.CombinedOutput()
	return err == nil, string(b), file
}

// goldenWant returns the want.json the runner writes for request.
func goldenWant(t *testing.T, request string) []byte {
	t.Helper()
	ok, out, file := runGoldenChild(t, []byte("-- request --\n"+request), true)
	if !ok {
		t.Fatalf("update run failed: %s", out)
	}
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ar.Files {
		if f.Name == "want.json" {
			return f.Data
		}
	}
	t.Fatal("no want.json written")
	return nil
}

func TestAttack8GoldenHonestCasePasses(t *testing.T) {
	want := goldenWant(t, "X-Api-Key: k\n")
	if ok, out, _ := runGoldenChild(t, []byte("-- request --\nX-Api-Key: k\n-- want.json --\n"+string(want)), false); !ok {
		t.Errorf("an honest case failed: %s", out)
	}
}

func TestAttack8GoldenMissingSectionsFail(t *testing.T) {
	want := goldenWant(t, "X-Api-Key: k\n")
	for name, text := range map[string]string{
		"no request":       "-- want.json --\n" + string(want),
		"no want.json":     "-- request --\nX-Api-Key: k\n",
		"empty want.json":  "-- request --\nX-Api-Key: k\n-- want.json --\n",
		"want.json null":   "-- request --\nX-Api-Key: k\n-- want.json --\nnull\n",
		"not json":         "-- request --\nX-Api-Key: k\n-- want.json --\n{\"status\": 200,\n",
		"unknown pseudo":   "-- request --\n@evil: x\nX-Api-Key: k\n-- want.json --\n" + string(want),
		"no sections":      "just a comment\n",
		"want.json is doc": "-- request --\nX-Api-Key: k\n-- want.json --\n{}\n",
	} {
		if ok, out, _ := runGoldenChild(t, []byte(text), false); ok {
			t.Errorf("%s: Golden passed: %s", name, out)
		}
	}
}

// TestAttack8GoldenRefusesRepeatedSections: txtar allows two sections of
// one name. The reviewer reads the first want.json (here: a 401); the
// runner compares against the last (the real 200), so a case says one thing
// and checks another.
func TestAttack8GoldenRefusesRepeatedSections(t *testing.T) {
	want := string(goldenWant(t, "X-Api-Key: k\n"))
	misleading := strings.Replace(want, `"status": 200`, `"status": 401`, 1)
	for name, text := range map[string]string{
		"two want.json": "-- request --\nX-Api-Key: k\n-- want.json --\n" + misleading + "-- want.json --\n" + want,
		"two requests":  "-- request --\nX-Forwarded-User: mallory\n-- request --\nX-Api-Key: k\n-- want.json --\n" + want,
	} {
		if ok, _, _ := runGoldenChild(t, []byte(text), false); ok {
			t.Errorf("%s: Golden passed a case whose repeated section the reader sees first and the runner ignores", name)
		}
	}
}

// TestAttack8GoldenRefusesUnknownWantFields: a misspelt member of want.json
// ("headersAfer") is ignored, so a case can claim the handler saw a header
// and still pass.
func TestAttack8GoldenRefusesUnknownWantFields(t *testing.T) {
	want := string(goldenWant(t, "X-Api-Key: k\n"))
	lying := strings.Replace(want, "{", `{"headersAfer": {"X-Api-Key": ["k"]}, `, 1)
	if ok, _, _ := runGoldenChild(t, []byte("-- request --\nX-Api-Key: k\n-- want.json --\n"+lying), false); ok {
		t.Error("Golden passed a want.json with an unknown member claiming what the handler saw")
	}
}
