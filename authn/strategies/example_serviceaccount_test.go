package strategies_test

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
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/authn/strategies"
)

// A forwarded ServiceAccount subject is believed only together with that
// ServiceAccount's own token, verified in the same request: oauth2-proxy
// with --skip-jwt-bearer-tokens forwards both. In production
// CreatorAnnotation follows ServiceAccount, to find the key's human and to
// compare the token's uid with the cluster's; Synthetic stands in for it
// here.
func ExampleServiceAccount() {
	signer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // kube-apiserver's key
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
	const issuer = "https://kubernetes.default.svc.cluster.local"
	serviceAccountJWT, err := jwt.ServiceAccount(issuer, keys, jwt.WithAudiences("authchain"))
	if err != nil {
		panic(err)
	}
	trust, err := strategies.TrustPeerCIDRs("127.0.0.1/32")
	if err != nil {
		panic(err)
	}
	forwarded, err := strategies.Forwarded(trust)
	if err != nil {
		panic(err)
	}
	chain, err := authn.NewChain(forwarded, serviceAccountJWT, strategies.ServiceAccount(), strategies.Synthetic())
	if err != nil {
		panic(err)
	}

	now := time.Now()
	token, err := gojwt.NewWithClaims(gojwt.SigningMethodES256, gojwt.MapClaims{
		"iss": issuer, "sub": "system:serviceaccount:team-a:builder", "aud": "authchain",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nbf": now.Unix(),
		"kubernetes.io": map[string]any{
			"namespace": "team-a", "serviceaccount": map[string]any{"name": "builder", "uid": "9b1f6a4e"},
		},
	}).SignedString(signer)
	if err != nil {
		panic(err)
	}

	for _, tc := range []struct{ user, token string }{
		{"system:serviceaccount:team-a:builder", ""},     // a login that merely has the name
		{"system:serviceaccount:team-a:builder", token},  // the key itself
		{"system:serviceaccount:team-a:deployer", token}, // another key's name
	} {
		r := httptest.NewRequest(http.MethodGet, "/api/projects", nil)
		r.RemoteAddr = "127.0.0.1:52114"
		r.Header.Set("X-Forwarded-User", tc.user)
		if tc.token != "" {
			r.Header.Set("Authorization", "Bearer "+tc.token)
		}
		p, _, err := chain.Authenticate(r)
		if err != nil {
			fmt.Println(authn.StatusCode(err), err)
			continue
		}
		fmt.Println(p.User.Name, p.Synthetic, p.Actor.UID, p.Via)
	}
	// Output:
	// 401 authn: serviceaccount: rejected: ServiceAccount subject without a verified token (a forwarded ServiceAccount subject is believed only with a verified bearer token for the same ServiceAccount in the same request)
	// system-serviceaccount-team-a-builder true 9b1f6a4e [forwarded jwt synthetic]
	// 401 authn: jwt: rejected: forwarded ServiceAccount does not match the token's ServiceAccount
}
