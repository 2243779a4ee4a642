package authnconfig

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/authchain/authchain/internal/tokentest"
)

// TestSyncedWaitsForDiscoveredKeys: a built chain whose discovered key
// set has not been fetched is not Synced; once the keys are served, it is.
func TestSyncedWaitsForDiscoveredKeys(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	var issuer string
	keys := tokentest.StaticJWKS(t)
	release := make(chan struct{})
	sink := tokentest.NewCredentialSink(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/openid-configuration" {
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": issuer + "/keys"})
			return
		}
		select {
		case <-release:
			_, _ = w.Write(keys)
		default:
			http.Error(w, "not yet", http.StatusServiceUnavailable)
		}
	}))
	issuer = sink.Server.URL
	cfg, err := Parse([]byte(header + `spec:
  strategies:
  - jwt:
      issuer: ` + issuer + `
      discovery:
        minRefreshInterval: 10ms
      audiences: [` + tokentest.Audience + `]
`))
	if err != nil {
		t.Fatal(err)
	}
	built, err := cfg.Build(context.Background(), Deps{HTTPClient: sink.Server.Client()})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	if built.Synced() {
		t.Fatal("Synced before any key was served")
	}
	close(release)
	for !built.Synced() {
		// The key set retries on its own; a broken one hangs until the
		// test's deadline.
		time.Sleep(10 * time.Millisecond)
	}
}
