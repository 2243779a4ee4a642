package jwt_test

import (
	"crypto"
	"fmt"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/internal/tokentest"
)

// TestAttack11_ConcurrentHitsKeepTheirAccount: cached tokens of eight
// ServiceAccounts, served at once to handlers that scribble over the Actor,
// audiences, pod and node they get, always give each request its own
// account's identity, as the first verification did; run with -race.
func TestAttack11_ConcurrentHitsKeepTheirAccount(t *testing.T) {
	s := newJWT(t, jwtStaticKeys(t))
	var tokens []string
	want := map[string]authn.Decision{}
	for i := range 8 {
		name := fmt.Sprintf("account-%d", i)
		token := tokentest.RSA(t, tokentest.Claims(func(c gojwt.MapClaims) {
			c["sub"] = "system:serviceaccount:team-a:" + name
			c["kubernetes.io"].(map[string]any)["serviceaccount"] = map[string]any{"name": name, "uid": "uid-" + name}
		}))
		d := s.Authenticate(tokentest.Request(token), authn.Principal{})
		if d.Outcome != authn.Contributed || d.Principal.Actor.Name != name || d.Principal.Credential.Pod == nil {
			t.Fatalf("%s: %+v", name, d)
		}
		tokens = append(tokens, token)
		want[token] = d
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		token := tokens[w%len(tokens)]
		wg.Go(func() {
			for range 300 {
				got := s.Authenticate(tokentest.Request(token), authn.Principal{})
				if diff := cmp.Diff(want[token], got); diff != "" {
					errs <- fmt.Errorf("worker %d (-want +got):\n%s", w, diff)
					return
				}
				p := got.Principal
				p.Actor.Name, p.Actor.UID = "evil", "evil"
				p.Credential.Audiences[0], p.Credential.ID = "evil", "evil"
				p.Credential.Pod.Name = "evil"
				if p.Credential.Node != nil {
					p.Credential.Node.UID = "evil"
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestAttack11_CachedHitAfterKeyChange: a token cached under one key is
// refused as soon as the key set gives its kid another key or forgets
// it, while other goroutines keep hitting it; a cached entry never
// outlives the key that signed it. Run with -race.
func TestAttack11_CachedHitAfterKeyChange(t *testing.T) {
	k := tokentest.Keys()
	keys := &switchableKeys{key: &k.RSA.PublicKey}
	s := newJWT(t, keys, jwt.WithCacheTTL(10*time.Minute))
	token := tokentest.RSA(t, tokentest.Claims())
	if d := tokentest.Authenticate(s, token); d.Outcome != authn.Contributed {
		t.Fatalf("miss: %v %q", d.Outcome, d.Reason)
	}
	for _, change := range []struct {
		name string
		key  crypto.PublicKey
		err  error
	}{
		{"kid names another key", &k.RSA2.PublicKey, nil},
		{"kid removed", nil, jwks.ErrUnknownKey},
	} {
		keys.answer(&k.RSA.PublicKey, nil)
		if d := tokentest.Authenticate(s, token); d.Outcome != authn.Contributed {
			t.Fatalf("%s, before: %v %q", change.name, d.Outcome, d.Reason)
		}
		keys.answer(change.key, change.err)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 50 {
					if d := tokentest.Authenticate(s, token); d.Outcome != authn.Rejected {
						t.Errorf("%s: a cached hit answered %v %q", change.name, d.Outcome, d.Reason)
						return
					}
				}
			})
		}
		wg.Wait()
	}
}
