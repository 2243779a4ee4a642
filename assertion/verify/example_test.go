package verify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http/httptest"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/assertion/verify"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
)

// A runner believes the backend's assertions addressed to it, and
// rebuilds the backend's Principal.
func ExampleNew() {
	// The backend's side (see package assertion).
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ring, _ := assertion.NewKeyRing(key)
	signer, _ := assertion.NewSigner("https://backend.example.com", ring)

	// The runner's side: the backend's keys, fetched from its
	// /.well-known/jwks.json (in production jwks.OIDC keeps them fresh).
	keys, err := jwks.Static(ring.JWKS())
	if err != nil {
		panic(err)
	}
	fromBackend, err := verify.New("https://backend.example.com", keys,
		verify.WithAudiences("https://runner.example.com"),
		verify.WithReplayCache(10_000))
	if err != nil {
		panic(err)
	}
	chain, err := authn.NewChain(fromBackend)
	if err != nil {
		panic(err)
	}

	for _, aud := range []string{"https://runner.example.com", "https://vault.example.com"} {
		token, err := signer.Sign(authn.Principal{
			User:  authn.User{Name: "alice@example.com"},
			Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "ci-key", UID: "7d3c"},
		}, aud)
		if err != nil {
			panic(err)
		}
		r := httptest.NewRequestWithContext(context.Background(), "GET", "/run", nil)
		r.Header.Set(assertion.AssertionHeader, token)
		p, _, err := chain.Authenticate(r)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(p.User.Name, p.Actor.Subject(), p.Actor.UID, p.Credential.Type, p.Via)
	}
	// Output:
	// alice@example.com system:serviceaccount:team-a:ci-key 7d3c assertion [assertion]
	// authn: assertion: rejected: assertion audience not accepted
}
