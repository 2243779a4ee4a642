package jwt_test

import (
	"sync"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/internal/tokentest"
)

// cacheCounts counts what the jwt strategy's cache reports.
type cacheCounts struct {
	mu                            sync.Mutex
	hits, misses, started, ok, ko int
}

func (c *cacheCounts) CacheRequest(hit bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if hit {
		c.hits++
	} else {
		c.misses++
	}
}

func (c *cacheCounts) FetchStarted() { c.mu.Lock(); c.started++; c.mu.Unlock() }

func (c *cacheCounts) FetchDone(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.ok++
	} else {
		c.ko++
	}
}

// TestServiceAccountJWTCacheObserver: WithCacheObserver reaches the cache
// of verified tokens: the first request for a token is a miss and one
// verification, the next ones are hits; a rejected token is a miss and a
// verification that ended with a verdict; so is a token of another issuer,
// which is not the strategy's, rather than a failed one. Without a cache it
// hears nothing.
func TestServiceAccountJWTCacheObserver(t *testing.T) {
	obs := &cacheCounts{}
	s := newJWT(t, jwtStaticKeys(t), jwt.WithCacheObserver(obs))
	good := tokentest.RSA(t, tokentest.Claims())
	for range 3 {
		if d := tokentest.Authenticate(s, good); d.Outcome != authn.Contributed {
			t.Fatalf("good token: %+v", d)
		}
	}
	bad := tokentest.RSA(t, tokentest.Claims(tokentest.Set("aud", "https://elsewhere.example.com")))
	if d := tokentest.Authenticate(s, bad); d.Outcome != authn.Rejected {
		t.Fatalf("token for another audience: %+v", d)
	}
	foreign := tokentest.RSA(t, tokentest.Claims(tokentest.Set("iss", "https://other-issuer.example.com")))
	if d := tokentest.Authenticate(s, foreign); d.Outcome != authn.NotApplicable {
		t.Fatalf("token of another issuer: %+v", d)
	}
	want := cacheCounts{hits: 2, misses: 3, started: 3, ok: 3}
	if obs.hits != want.hits || obs.misses != want.misses || obs.started != want.started || obs.ok != want.ok || obs.ko != want.ko {
		t.Errorf("observed %d hits, %d misses, %d started, %d ok, %d errors; want %d, %d, %d, %d, %d",
			obs.hits, obs.misses, obs.started, obs.ok, obs.ko, want.hits, want.misses, want.started, want.ok, want.ko)
	}

	quiet := &cacheCounts{}
	s = newJWT(t, jwtStaticKeys(t), jwt.WithCacheTTL(0), jwt.WithCacheObserver(quiet))
	tokentest.Authenticate(s, good)
	if quiet.hits+quiet.misses+quiet.started != 0 {
		t.Errorf("without a cache the observer heard %+v", quiet)
	}
}

// TestRejectionsRemembered: a token refused for a reason that cannot change
// (its signature, its audience) is verified once and then answered from
// the cache, refused each time; one refused for an unknown kid is verified
// again each time, since the key set may catch up.
func TestRejectionsRemembered(t *testing.T) {
	obs := &cacheCounts{}
	s := newJWT(t, jwtStaticKeys(t), jwt.WithCacheObserver(obs))
	good := tokentest.RSA(t, tokentest.Claims())
	badSignature := good[:len(good)-6] + "AAAAAA"
	wrongAudience := tokentest.RSA(t, tokentest.Claims(tokentest.Set("aud", "https://elsewhere.example.com")))
	for _, tok := range []string{badSignature, wrongAudience} {
		for range 3 {
			if d := tokentest.Authenticate(s, tok); d.Outcome != authn.Rejected {
				t.Fatalf("bad token: %+v", d)
			}
		}
	}
	if obs.started != 2 || obs.hits != 4 {
		t.Errorf("two bad tokens, three times each: %d verifications and %d hits, want 2 and 4", obs.started, obs.hits)
	}
	unknownKid := tokentest.RSA(t, tokentest.Claims(), map[string]any{"kid": "no-such-kid"})
	for range 2 {
		if d := tokentest.Authenticate(s, unknownKid); d.Outcome != authn.Rejected {
			t.Fatalf("unknown kid: %+v", d)
		}
	}
	if obs.started != 4 {
		t.Errorf("an unknown kid twice: %d verifications in all, want 4", obs.started)
	}
}
