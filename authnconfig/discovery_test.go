package authnconfig

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authchain/authchain/internal/tokentest"
)

// TestDiscovery: Parse builds a discovery key set without fetching
// anything; Build fetches through Deps.HTTPClient, and Close stops the key
// set's refreshes.
func TestDiscovery(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	var issuer string
	keys := tokentest.StaticJWKS(t)
	sink := tokentest.NewCredentialSink(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/openid-configuration" {
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": issuer + "/keys"})
			return
		}
		_, _ = w.Write(keys)
	}))
	issuer = sink.Server.URL
	cfg, err := Parse([]byte(header + `spec:
  strategies:
  - jwt:
      issuer: ` + issuer + `
      discovery:
        minRefreshInterval: 1s
      audiences: [` + tokentest.Audience + `]
  - synthetic: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	if n := sink.Requests.Load(); n != 0 {
		t.Errorf("Parse made %d requests, want none", n)
	}
	built, err := cfg.Build(context.Background(), Deps{HTTPClient: sink.Server.Client(), Now: tokentest.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	token := tokentest.RSA(t, tokentest.Claims(tokentest.Set("iss", issuer)))
	p, _, err := built.Chain.Authenticate(tokentest.Request(token))
	if err != nil || p.Credential == nil || p.Credential.Issuer != issuer {
		t.Fatalf("Authenticate = %+v, %v; want the token verified with the discovered keys", p, err)
	}
	if sink.Requests.Load() == 0 {
		t.Error("the keys were not fetched through Deps.HTTPClient")
	}
}

// TestFileSizeBound: a configuration file, or a file it refers to, larger
// than MaxFileBytes is refused.
func TestFileSizeBound(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, MaxFileBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load of a big file = %v", err)
	}
	_, err := Parse([]byte(header+"spec:\n  strategies:\n  - annotation: {bindingKeyFiles: [big]}\n"), WithDir(dir))
	want := `authnconfig: spec.strategies[0].annotation.bindingKeyFiles[0]: Invalid value: "big": is larger than 1048576 bytes`
	if err == nil || err.Error() != want {
		t.Errorf("Parse = %v, want %s", err, want)
	}
	if _, err := Parse(make([]byte, MaxFileBytes+1)); err == nil {
		t.Error("Parse accepted more than MaxFileBytes")
	}
}
