package bearer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/strategies"
)

// A Source says where tokens are read. The default reads Authorization; a
// Source that also reads X-Forwarded-Access-Token believes that header only
// from the proxy its trust policy proves, and drops a client's copy unread.
func ExampleSource() {
	fmt.Println(bearer.FromAuthorization().Headers())

	trust, err := strategies.TrustPeerCIDRs("10.0.0.0/8")
	if err != nil {
		panic(err)
	}
	src, err := bearer.AlsoFromForwardedAccessToken(trust)
	if err != nil {
		panic(err)
	}
	fmt.Println(src.Headers())
	for _, peer := range []string{"10.0.0.5:41000", "203.0.113.9:41000"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer
		r.Header.Set(bearer.ForwardedAccessTokenHeader, "eyJhbGciOiJFUzI1NiJ9.e30.c2ln")
		token, d, ok := src.Presented(r, authn.Principal{})
		if ok {
			fmt.Printf("%s: verify %q\n", peer, token)
			continue
		}
		fmt.Printf("%s: %v: %s\n", peer, d.Outcome, d.Reason)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Add("Authorization", "Bearer one-token")
	r.Header.Add("Authorization", "Bearer another")
	_, d, ok := src.Presented(r, authn.Principal{})
	fmt.Printf("two tokens: %t %v: %s\n", ok, d.Outcome, d.Reason)
	// Output:
	// [Authorization]
	// [Authorization X-Forwarded-Access-Token]
	// 10.0.0.5:41000: verify "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"
	// 203.0.113.9:41000: not-applicable: no bearer token
	// two tokens: false rejected: duplicate Authorization header
}

// Bind joins what a custom token strategy verified to what the chain
// established: a token of the ServiceAccount the proxy forwarded becomes
// the Actor; a token of another one is refused.
func ExampleBind() {
	forwarded := authn.Principal{User: authn.User{Name: "system:serviceaccount:team:ci-bot"}}
	cred := &authn.Credential{Type: "custom"}
	for _, name := range []string{"ci-bot", "deployer"} {
		sa := &authn.ServiceAccount{Namespace: "team", Name: name, UID: "uid-" + name}
		d := bearer.Bind(forwarded, sa, authn.User{}, cred, "custom token verified")
		if d.Outcome != authn.Contributed {
			fmt.Println(name, d.Outcome, d.Reason)
			continue
		}
		fmt.Println(name, d.Outcome, d.Principal.Actor.Subject(), d.Principal.Actor.UID, d.Principal.User.IsZero())
	}
	human := authn.Principal{User: authn.User{Name: "alice"}}
	d := bearer.Bind(human, &authn.ServiceAccount{Namespace: "team", Name: "ci-bot"}, authn.User{}, cred, "custom token verified")
	fmt.Println(d.Outcome, d.Reason)
	// Output:
	// ci-bot contributed system:serviceaccount:team:ci-bot uid-ci-bot true
	// deployer rejected forwarded ServiceAccount does not match the token's ServiceAccount
	// rejected forwarded user does not match the token's ServiceAccount
}

// A strategy that hands the token straight to its Cache reads it with
// PresentedForCache: a cached token is not scanned again, and the cache
// refuses a malformed one on a miss with the reason Presented would give.
func ExampleSource_PresentedForCache() {
	cache, err := bearer.NewCache(func(ctx context.Context, token string, _ []string) (bearer.Verdict[string], error) {
		return bearer.Verdict[string]{Value: "verified"}, nil
	})
	if err != nil {
		panic(err)
	}
	for _, token := range []string{"abc.def.ghi", "abc.def.ghi~!"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		token, _, ok := bearer.FromAuthorization().PresentedForCache(r, authn.Principal{})
		if !ok {
			continue
		}
		v, err := cache.Get(r.Context(), token, nil)
		fmt.Printf("%q %q %v\n", v.Value, v.Invalid, err)
	}
	// Output:
	// "verified" "" <nil>
	// "" "bearer token is malformed" <nil>
}
