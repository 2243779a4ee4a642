package authchain_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"testing"
	"text/template"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authntest"
	"github.com/authchain/authchain/internal/setup"
)

var update = flag.Bool("update", false, "rewrite the want.json section of every golden case")

// goldenConfig is a case's config.json: the chain's setup.Config plus what
// the test harness itself controls.
type goldenConfig struct {
	setup.Config
	// Unsynced serves the case from a cache that never syncs.
	Unsynced bool `json:"unsynced,omitempty"`
}

// TestGolden runs every testdata/*.txtar case through the full stack
// (setup.Config → strategies → chain → chiadapter) with authntest.Golden,
// and compares the result with the case's want.json. Run with -update to
// rewrite want.json. The request section mints tokens with the functions
// golden_tokens_test.go documents.
func TestGolden(t *testing.T) {
	tokens := newTokenKeys(t)
	authntest.Golden(t, "testdata/*.txtar", func(t testing.TB, c authntest.GoldenCase) authn.Authenticator {
		chain, _ := goldenChain(t, c, tokens)
		return chain
	},
		authntest.WithUpdate(*update),
		authntest.WithRequestFuncs(template.FuncMap{"token": tokens.mint, "tamper": tamper}),
		authntest.WithRedactedHeaders(bearer.AuthorizationHeader, bearer.ForwardedAccessTokenHeader),
	)
}

// goldenChain builds the chain a case's config.json describes, and returns
// it with the decoded configuration.
func goldenChain(t testing.TB, c authntest.GoldenCase, tokens tokenKeys) (*authn.Chain, goldenConfig) {
	if c.Config == nil {
		t.Fatal("case has no config.json section")
	}
	var cfg goldenConfig
	dec := json.NewDecoder(bytes.NewReader(c.Config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	cfg.ClientCAs = c.ClientCAs
	if cfg.Issuer != "" {
		cfg.Keys = tokens.keySet
		cfg.Now = func() time.Time { return goldenNow }
	}
	chain, err := cfg.Chain(goldenCluster(t, cfg, c.Cluster))
	if err != nil {
		t.Fatalf("building the chain: %v", err)
	}
	return chain, cfg
}

// goldenCluster serves the case's ServiceAccounts from a real informer over
// the fake clientset (authntest.Cluster); cluster.yaml is expanded by
// setup.ExpandCluster first.
func goldenCluster(t testing.TB, cfg goldenConfig, yamlTemplate []byte) strategies.ServiceAccountReader {
	if cfg.Unsynced {
		return setup.Unsynced{}
	}
	yamlText, err := setup.ExpandCluster(yamlTemplate, cfg.BindingKey)
	if err != nil {
		t.Fatalf("cluster.yaml: %v", err)
	}
	c, _ := authntest.Cluster(t, yamlText)
	return c
}
