package authntest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authntest"
)

var update = flag.Bool("update", false, "rewrite the want.json section of every golden case")

// exampleNow is the clock of the example chain, so that expiries in
// want.json do not move.
var exampleNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// exampleConfig is the config.json of testdata/*.txtar.
type exampleConfig struct {
	// Proxy is the common name of the proxy's client certificate.
	Proxy string `json:"proxy"`
	// Audience is the audience tokens must carry.
	Audience string `json:"audience"`
}

// TestGoldenExample runs this package's testdata/*.txtar against a small
// chain a user could write: an authenticating proxy proven by its client
// certificate, a token strategy of their own, the creator annotation of a
// fake cluster, and a synthetic user for keys without a creator.
func TestGoldenExample(t *testing.T) {
	iss := authntest.NewIssuer(t, "https://issuer.example")
	authntest.Golden(t, "testdata/*.txtar", func(t testing.TB, c authntest.GoldenCase) authn.Authenticator {
		var cfg exampleConfig
		dec := json.NewDecoder(bytes.NewReader(c.Config))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			t.Fatalf("config.json: %v", err)
		}
		trust, err := strategies.TrustClientCertificate(c.ClientCAs, cfg.Proxy)
		if err != nil {
			t.Fatal(err)
		}
		forwarded, err := strategies.Forwarded(trust)
		if err != nil {
			t.Fatal(err)
		}
		cache, _ := authntest.Cluster(t, c.Cluster)
		annotation, err := strategies.CreatorAnnotation(cache, strategies.InsecureAcceptUnverifiedAnnotations())
		if err != nil {
			t.Fatal(err)
		}
		token := &tokenStrategy{key: iss.PublicKey(), issuer: iss.URL(), audience: cfg.Audience, now: func() time.Time { return exampleNow }}
		chain, err := authn.NewChain(forwarded, token, annotation, strategies.Synthetic())
		if err != nil {
			t.Fatal(err)
		}
		return chain
	}, authntest.WithUpdate(*update), authntest.WithRequestFuncs(iss.TemplateFuncs(exampleNow)))
}
