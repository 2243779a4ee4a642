package reload

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/internal/tokentest"
)

// lookups counts a token cache's look-ups.
type lookups struct {
	mu sync.Mutex
	n  int
}

func (l *lookups) CacheRequest(bool) { l.mu.Lock(); l.n++; l.mu.Unlock() }
func (*lookups) FetchStarted()       {}
func (*lookups) FetchDone(bool)      {}

// TestWatchPassesDepsHooks: every chain Watch builds, the first and each
// reload's, gets its token cache observers from the Deps given to Watch.
func TestWatchPassesDepsHooks(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "jwks.json"), string(tokentest.StaticJWKS(t)))
	path := filepath.Join(dir, "chain.yaml")
	write(t, path, header+"spec:\n  strategies:\n  - jwt:\n      name: cluster\n      issuer: "+tokentest.Issuer+
		"\n      jwksFile: jwks.json\n      audiences: ["+tokentest.Audience+"]\n  - synthetic: {}\n")
	var mu sync.Mutex
	var asked []string
	var observers []*lookups
	deps := authnconfig.Deps{Now: tokentest.Now, TokenCacheObserver: func(strategy string) bearer.CacheObserver {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, strategy)
		o := &lookups{}
		observers = append(observers, o)
		return o
	}}
	tokentest.VerifyNoLeaks(t)
	a, err := Watch(context.Background(), path, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	token := tokentest.RSA(t, tokentest.Claims())
	if _, _, err := a.Authenticate(tokentest.Request(token)); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Authenticate(tokentest.Request(token)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(asked, []string{"cluster", "cluster"}) {
		t.Fatalf("observers asked for %v; want the strategy's name once per build", asked)
	}
	for i, o := range observers {
		if o.n != 1 {
			t.Errorf("chain %d: %d look-ups observed, want 1", i, o.n)
		}
	}
}
