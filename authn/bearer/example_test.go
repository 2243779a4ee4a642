package bearer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
)

// apiKeys is a custom token strategy: API keys checked against a backend
// that is too slow to ask on every request, behind a bearer.Cache.
type apiKeys struct {
	source bearer.Source
	cache  *bearer.Cache[authn.User]
}

func (*apiKeys) Name() string { return "apikey" }

func (s *apiKeys) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	token, d, ok := s.source.Presented(r, sofar)
	if !ok {
		return d
	}
	v, err := s.cache.Get(r.Context(), token, nil)
	switch {
	case err != nil:
		return authn.Fail("API key check failed", err)
	case v.Invalid != "":
		return authn.Reject(v.Invalid)
	}
	// A copy: the cached value is shared between requests.
	return bearer.Bind(sofar, nil, v.Value.Clone(), &authn.Credential{Type: "apikey"}, "API key verified")
}

// A custom token strategy reads its token with a Source, verifies it
// through a Cache, and joins the identity with Bind. Concurrent and
// repeated requests with one key cost the backend one lookup; an unknown
// key is refused from the cache for its shorter TTL.
func ExampleNewCache() {
	lookups := 0
	backend := map[string]string{"k3y-of-alice": "alice@example.com"}
	cache, err := bearer.NewCache(func(_ context.Context, token string, _ []string) (bearer.Verdict[authn.User], error) {
		lookups++ // the backend's cost; a real one may fail with an error, which is not cached
		name, ok := backend[token]
		if !ok {
			return bearer.Verdict[authn.User]{Invalid: "unknown API key"}, nil
		}
		return bearer.Verdict[authn.User]{Value: authn.User{Name: name}}, nil
	}, bearer.WithTTL(5*time.Minute, 30*time.Second))
	if err != nil {
		panic(err)
	}
	chain, err := authn.NewChain(&apiKeys{source: bearer.FromAuthorization(), cache: cache})
	if err != nil {
		panic(err)
	}
	for _, key := range []string{"k3y-of-alice", "k3y-of-alice", "n0-such-key", "n0-such-key"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+key)
		p, _, err := chain.Authenticate(r)
		fmt.Println(p.User.Name, err)
	}
	fmt.Println("backend lookups:", lookups)
	// Output:
	// alice@example.com <nil>
	// alice@example.com <nil>
	//  authn: apikey: rejected: unknown API key
	//  authn: apikey: rejected: unknown API key
	// backend lookups: 2
}
