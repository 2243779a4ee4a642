package oidc_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/oidc"
)

// oauth2-proxy, run with --pass-authorization-header, forwards the ID
// token its IdP issued to the proxy's client. The strategy verifies it
// with the IdP's public key and names the user after the verified email.
func ExampleNew() {
	// Stands in for the IdP's signing key; only its public half is given
	// to the strategy (in production, jwks.OIDC fetches it by discovery).
	signer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&signer.PublicKey)
	if err != nil {
		panic(err)
	}
	keys, err := jwks.Static(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil {
		panic(err)
	}
	const issuer = "https://idp.example.com"
	idTokens, err := oidc.New(issuer, keys,
		oidc.WithAudiences("oauth2-proxy"),
		oidc.WithUsernameClaim("email", ""),
		oidc.WithGroupsClaim("groups", "idp:"))
	if err != nil {
		panic(err)
	}
	chain, err := authn.NewChain(idTokens)
	if err != nil {
		panic(err)
	}

	now := time.Now()
	token, err := gojwt.NewWithClaims(gojwt.SigningMethodES256, gojwt.MapClaims{
		"iss":            issuer,
		"sub":            "248289761001",
		"aud":            "oauth2-proxy",
		"exp":            now.Add(time.Hour).Unix(),
		"iat":            now.Unix(),
		"email":          "alice@example.com",
		"email_verified": true,
		"groups":         []string{"dev"},
	}).SignedString(signer)
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/projects", nil)
	r.Header.Set("Authorization", "Bearer "+token)

	p, _, err := chain.Authenticate(r)
	fmt.Println(p.User.Name, p.User.Groups, p.Actor == nil, p.Credential.Type, err)
	// The chain strips the token before the handler runs.
	fmt.Printf("%q\n", r.Header.Get("Authorization"))
	// Output:
	// alice@example.com [idp:dev] true oidc <nil>
	// ""
}
