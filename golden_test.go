package authchain_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"text/template"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/authntest"
	"github.com/authchain/authchain/internal/setup"
)

var update = flag.Bool("update", false, "rewrite the want.json section of every golden case")

// The files a case's config.yaml may name: the harness writes them beside
// it, under these names.
const (
	// goldenClientCAFile holds the CA of "@tls-client: NAME trusted".
	goldenClientCAFile = "golden/client-ca.pem"
	// goldenTokenKeysFile holds the public keys of the token issuer (see
	// tokenKeys), as a JWKS.
	goldenTokenKeysFile = "golden/token-keys.jwks"
	// goldenBindingKeyFile holds goldenBindingKey, which {{sign}} in
	// cluster.yaml signs with.
	goldenBindingKeyFile = "golden/binding-key"
	// goldenProxySecretFile holds goldenProxySecret, the shared secret of
	// the cases that trust one.
	goldenProxySecretFile = "golden/proxy-secret"
)

const (
	goldenBindingKey  = "golden-binding-key-0123456789abcdef"
	goldenProxySecret = "a-shared-secret-of-at-least-32-bytes!!"
)

// goldenUnsynced is the section that replaces cluster.yaml in a case served
// from a ServiceAccount cache that never syncs.
const goldenUnsynced = "cluster.unsynced"

// TestGolden runs every testdata/*.txtar case through the full stack
// (config.yaml → authnconfig → strategies → chain → chiadapter) with
// authntest.Golden, and compares the result with the case's want.json. Run
// with -update to rewrite want.json. The request section mints tokens with
// the functions golden_tokens_test.go documents.
func TestGolden(t *testing.T) {
	tokens := newTokenKeys(t)
	authntest.Golden(t, "testdata/*.txtar", func(t testing.TB, c authntest.GoldenCase) authn.Authenticator {
		chain, _ := goldenChain(t, c, tokens, false)
		return chain
	},
		authntest.WithUpdate(*update),
		authntest.WithRequestFuncs(template.FuncMap{"token": tokens.mint, "tamper": tamper}),
		authntest.WithRedactedHeaders(bearer.AuthorizationHeader, bearer.ForwardedAccessTokenHeader),
	)
}

// TestGoldenProjectedCache runs every case again, but lets
// authnconfig.Build start the ServiceAccount cache itself, projected to what
// the configuration reads (authnconfig.Built.Projection): every answer must
// be the one a cache keeping whole objects gave. A projection that dropped
// a label, an annotation or an owner the chain reads would change one.
func TestGoldenProjectedCache(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every golden case a second time")
	}
	tokens := newTokenKeys(t)
	authntest.Golden(t, "testdata/*.txtar", func(t testing.TB, c authntest.GoldenCase) authn.Authenticator {
		chain, _ := goldenChain(t, c, tokens, true)
		return chain
	},
		authntest.WithRequestFuncs(template.FuncMap{"token": tokens.mint, "tamper": tamper}),
		authntest.WithRedactedHeaders(bearer.AuthorizationHeader, bearer.ForwardedAccessTokenHeader),
	)
}

// goldenChain builds the chain a case's config.yaml describes, with the
// golden files beside it, and returns it with the parsed configuration.
// The ServiceAccounts of cluster.yaml are served by a cache keeping whole
// objects (authntest.Cluster) or, when projected, by the cache Build starts
// over a fake clientset holding them.
func goldenChain(t testing.TB, c authntest.GoldenCase, tokens tokenKeys, projected bool) (*authn.Chain, *authnconfig.ChainConfiguration) {
	t.Helper()
	if _, ok := c.Sections["config.yaml"]; !ok {
		t.Fatal("case has no config.yaml section")
	}
	files := map[string][]byte{
		goldenClientCAFile:    c.ClientCAPEM,
		goldenTokenKeysFile:   tokens.jwks,
		goldenBindingKeyFile:  []byte(goldenBindingKey),
		goldenProxySecretFile: []byte(goldenProxySecret),
	}
	deps := authnconfig.Deps{ServiceAccounts: setup.Unsynced{}, Now: goldenClock}
	if _, unsynced := c.Sections[goldenUnsynced]; unsynced {
		if c.Cluster != nil {
			t.Fatalf("case has both cluster.yaml and %s", goldenUnsynced)
		}
		return buildGolden(t, c.Config, files, deps)
	}
	yamlText, err := setup.ExpandCluster(c.Cluster, goldenBindingKey)
	if err != nil {
		t.Fatalf("cluster.yaml: %v", err)
	}
	if !projected {
		deps.ServiceAccounts, _ = authntest.Cluster(t, yamlText)
		return buildGolden(t, c.Config, files, deps)
	}
	sas, err := setup.LoadServiceAccounts(bytes.NewReader(yamlText))
	if err != nil {
		t.Fatalf("cluster.yaml: %v", err)
	}
	deps.ServiceAccounts, deps.Kubernetes = nil, setup.FakeClient(sas)
	chain, cfg, built := buildGoldenBuilt(t, c.Config, files, deps)
	if built.Cache == nil {
		return chain, cfg // nothing reads ServiceAccounts
	}
	if !built.Cache.WaitForSync(context.Background(), 10*time.Second) {
		t.Fatal("the projected cache did not sync")
	}
	return chain, cfg
}

// buildGolden builds the chain of a configuration file with files beside
// it (by relative name), and closes what it started when t ends.
func buildGolden(t testing.TB, config []byte, files map[string][]byte, deps authnconfig.Deps) (*authn.Chain, *authnconfig.ChainConfiguration) {
	t.Helper()
	chain, cfg, _ := buildGoldenBuilt(t, config, files, deps)
	return chain, cfg
}

// buildGoldenBuilt is buildGolden, and returns what Build returned.
func buildGoldenBuilt(t testing.TB, config []byte, files map[string][]byte, deps authnconfig.Deps) (*authn.Chain, *authnconfig.ChainConfiguration, *authnconfig.Built) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := authnconfig.Parse(config, authnconfig.WithDir(dir))
	if err != nil {
		t.Fatalf("config.yaml: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	built, err := cfg.Build(ctx, deps)
	if err != nil {
		t.Fatalf("building the chain: %v", err)
	}
	t.Cleanup(built.Close)
	return built.Chain, cfg, built
}
