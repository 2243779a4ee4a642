package authnconfig

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/internal/tokentest"
)

// countingObserver counts what one token cache reports.
type countingObserver struct {
	mu                   sync.Mutex
	hits, misses, ok, ko int
}

func (c *countingObserver) CacheRequest(hit bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if hit {
		c.hits++
	} else {
		c.misses++
	}
}

func (c *countingObserver) FetchStarted() {}

func (c *countingObserver) FetchDone(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.ok++
	} else {
		c.ko++
	}
}

type cacheCounts struct{ Hits, Misses, OK int }

func (c *countingObserver) counts() cacheCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cacheCounts{c.hits, c.misses, c.ok}
}

// TestBuildObservers: Deps.TokenCacheObserver is asked once per token
// strategy, by the strategy's name, so that two jwt issuers and
// TokenReview are counted apart; Deps.TokenReviewCallObserver sees each
// TokenReview the strategy makes, and none a cached answer spares.
func TestBuildObservers(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), tokentest.StaticJWKS(t), 0o600); err != nil {
		t.Fatal(err)
	}
	const otherIssuer, idpIssuer = "https://other-issuer.example", "https://idp.example"
	cfg, err := Parse([]byte(header+`spec:
  strategies:
  - jwt:
      name: cluster
      issuer: `+tokentest.Issuer+`
      jwksFile: jwks.json
      audiences: [`+tokentest.Audience+`]
  - jwt:
      issuer: `+otherIssuer+`
      jwksFile: jwks.json
      audiences: [`+tokentest.Audience+`]
  - oidc:
      issuer: `+idpIssuer+`
      jwksFile: jwks.json
      audiences: [`+tokentest.Audience+`]
  - tokenReview:
      audiences: [console]
  - synthetic: {}
`), WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	clusterToken := tokentest.RSA(t, tokentest.Claims())
	otherToken := tokentest.RSA(t, tokentest.Claims(tokentest.Set("iss", otherIssuer)))
	reviewed := tokentest.RSA(t, tokentest.Claims(tokentest.Set("iss", "https://reviewed.example")))
	idToken := tokentest.RSA(t, tokentest.Claims(tokentest.Set("iss", idpIssuer), tokentest.Set("sub", "alice"), tokentest.Set("aud", tokentest.Audience)))

	var mu sync.Mutex
	observers := map[string]*countingObserver{}
	var asked []string
	var calls []string
	deps := Deps{
		ServiceAccounts: cluster,
		Kubernetes:      reviewer(reviewed),
		Now:             tokentest.Now,
		TokenCacheObserver: func(strategy string) bearer.CacheObserver {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, strategy)
			o := &countingObserver{}
			observers[strategy] = o
			return o
		},
		TokenReviewCallObserver: func(code string) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, code)
		},
	}
	built, err := cfg.Build(context.Background(), deps)
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	if diff := cmp.Diff([]string{"cluster", "jwt", "oidc", "tokenreview"}, asked); diff != "" {
		t.Fatalf("observers asked for (-want +got):\n%s", diff)
	}
	for _, token := range []string{clusterToken, clusterToken, otherToken, otherToken, idToken, idToken, reviewed, reviewed} {
		if _, trace, err := built.Chain.Authenticate(tokentest.Request(token)); err != nil {
			t.Fatalf("Authenticate: %v; trace %+v", err, trace)
		}
	}
	got := map[string]cacheCounts{}
	for name, o := range observers {
		got[name] = o.counts()
	}
	// Each strategy's own token misses once, then hits; a token another
	// strategy decides is a miss each time it passes (that verdict is not
	// kept).
	want := map[string]cacheCounts{
		"cluster":     {Hits: 1, Misses: 7, OK: 7},
		"jwt":         {Hits: 1, Misses: 5, OK: 5},
		"oidc":        {Hits: 1, Misses: 3, OK: 3},
		"tokenreview": {Hits: 1, Misses: 1, OK: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cache counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"201"}, calls); diff != "" {
		t.Errorf("TokenReview calls (-want +got):\n%s", diff)
	}
}

// TestBuildObserverMayDecline: a TokenCacheObserver that answers nil
// leaves that strategy unobserved, and the chain works.
func TestBuildObserverMayDecline(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), tokentest.StaticJWKS(t), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse([]byte(header+"spec:\n  strategies:\n  - jwt:\n      issuer: "+tokentest.Issuer+
		"\n      jwksFile: jwks.json\n      audiences: ["+tokentest.Audience+"]\n  - synthetic: {}\n"), WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var none *countingObserver // a typed nil is no observer either
	built, err := cfg.Build(context.Background(), Deps{ServiceAccounts: cluster, Now: tokentest.Now,
		TokenCacheObserver: func(string) bearer.CacheObserver { return none }})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	if p, _, err := built.Chain.Authenticate(tokentest.Request(tokentest.RSA(t, tokentest.Claims()))); err != nil || p.Actor == nil {
		t.Fatalf("principal %+v, error %v", p, err)
	}
	var _ authn.Authenticator = built.Chain
}
