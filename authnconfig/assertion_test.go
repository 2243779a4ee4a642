package authnconfig

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/authn"
)

// TestAssertionStrategy builds an assertion strategy from a file, under
// its own name and with a replay cache, and checks that it rebuilds a
// minted Principal, refuses the same assertion twice and one for another
// audience, and is not applicable to another minting service's.
func TestAssertionStrategy(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	mint := func(iss string) (*assertion.Signer, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		ring, err := assertion.NewKeyRing(key, assertion.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		s, err := assertion.NewSigner(iss, ring, assertion.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		return s, ring.JWKS()
	}
	backend, keys := mint("https://backend.example.com")
	other, _ := mint("https://other.example.com")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "backend.json"), keys, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse([]byte(header+`spec:
  strategies:
  - assertion:
      name: from-backend
      issuer: https://backend.example.com
      jwksFile: backend.json
      audiences: [https://runner.example.com]
      algorithms: [ES256]
      clockSkew: 10s
      replayCacheSize: 100
`), WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	built, err := cfg.Build(context.Background(), Deps{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()

	want := authn.Principal{
		User:  authn.User{Name: "alice@example.com", Groups: []string{"team-a"}},
		Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "ci-key", UID: "7d3c"},
	}
	request := func(s *assertion.Signer, aud string) (authn.Principal, error) {
		token, err := s.Sign(want, aud)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set(assertion.AssertionHeader, token)
		p, _, err := built.Chain.Authenticate(r)
		return p, err
	}
	token, err := backend.Sign(want, "https://runner.example.com")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set(assertion.AssertionHeader, token)
	p, _, err := built.Chain.Authenticate(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.User, p.User); diff != "" || !cmp.Equal(want.Actor, p.Actor) || !cmp.Equal([]string{"from-backend"}, p.Via) {
		t.Errorf("principal %+v (user diff %s)", p, diff)
	}
	if r.Header.Get(assertion.AssertionHeader) != "" {
		t.Error("the chain left the assertion header to the handler")
	}

	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set(assertion.AssertionHeader, token)
	if _, _, err := built.Chain.Authenticate(r); authn.StatusCode(err) != 401 {
		t.Errorf("replayed: %v", err)
	}
	if _, err := request(backend, "https://vault.example.com"); authn.StatusCode(err) != 401 {
		t.Errorf("another audience: %v", err)
	}
	_, err = request(other, "https://runner.example.com")
	var e *authn.Error
	if !asError(err, &e) || e.Strategy != "chain" || authn.StatusCode(err) != 401 {
		t.Errorf("another minting service: %v, want no identity (not applicable)", err)
	}
}
