package signed_test

import (
	"encoding/json"
	"flag"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntest"
)

var update = flag.Bool("update", false, "rewrite the want.json of the golden cases")

// TestGolden runs testdata/*.txtar: config.json names the vendor
// ({"vendor": "iap"}), built as vendors does, alone in a chain; the request
// carries assertions minted with {{sign}} and {{signPadded}}.
func TestGolden(t *testing.T) {
	build := func(t testing.TB, c authntest.GoldenCase) authn.Authenticator {
		var cfg struct{ Vendor string }
		if err := json.Unmarshal(c.Config, &cfg); err != nil {
			t.Fatalf("config.json: %v", err)
		}
		s, ok := vendors(t)[cfg.Vendor]
		if !ok {
			t.Fatalf("config.json: unknown vendor %q", cfg.Vendor)
		}
		chain, err := authn.NewChain(s)
		if err != nil {
			t.Fatal(err)
		}
		return chain
	}
	authntest.Golden(t, "testdata/*.txtar", build, authntest.WithRequestFuncs(mintFuncs(t)), authntest.WithUpdate(*update))
}
