package jwt_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
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

// A pod calls the API with its projected ServiceAccount token. The token is
// verified with the public key kube-apiserver signs with (the file given to
// --service-account-key-file), without calling the API server.
func ExampleServiceAccount() {
	// Stands in for kube-apiserver's signing key; only its public half
	// is given to the strategy.
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
	const issuer = "https://kubernetes.default.svc.cluster.local"
	serviceAccountJWT, err := jwt.ServiceAccount(issuer, keys, jwt.WithAudiences("authchain"))
	if err != nil {
		panic(err)
	}
	chain, err := authn.NewChain(serviceAccountJWT, strategies.Synthetic())
	if err != nil {
		panic(err)
	}

	// What the kubelet projects into a pod for audience "authchain".
	now := time.Now()
	token, err := gojwt.NewWithClaims(gojwt.SigningMethodES256, gojwt.MapClaims{
		"iss": issuer,
		"sub": "system:serviceaccount:team-a:builder",
		"aud": []string{"authchain"},
		"exp": now.Add(time.Hour).Unix(),
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"jti": "5e3b1a2c",
		"kubernetes.io": map[string]any{
			"namespace":      "team-a",
			"serviceaccount": map[string]any{"name": "builder", "uid": "9b1f6a4e"},
			"pod":            map[string]any{"name": "builder-7d9f", "uid": "c2d4e6f8"},
		},
	}).SignedString(signer)
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/projects", nil)
	r.Header.Set("Authorization", "Bearer "+token)

	d := serviceAccountJWT.Authenticate(r, authn.Principal{})
	fmt.Println(d.Outcome, d.Principal.Actor.Subject(), d.Principal.Actor.UID,
		d.Principal.Credential.ID, d.Principal.Credential.Pod.Name)

	// Without a strategy that finds the key's human, Synthetic names a
	// stand-in.
	p, _, err := chain.Authenticate(r)
	fmt.Println(p.User.Name, p.Synthetic, p.Via, err)

	// A token for another audience is refused, not passed on.
	other, err := gojwt.NewWithClaims(gojwt.SigningMethodES256, gojwt.MapClaims{
		"iss": issuer, "sub": "system:serviceaccount:team-a:builder", "aud": "vault",
		"exp": now.Add(time.Hour).Unix(),
	}).SignedString(signer)
	if err != nil {
		panic(err)
	}
	r.Header.Set("Authorization", "Bearer "+other)
	_, _, err = chain.Authenticate(r)
	fmt.Println(authn.StatusCode(err), err)

	// Output:
	// contributed system:serviceaccount:team-a:builder 9b1f6a4e JTI=5e3b1a2c builder-7d9f
	// system-serviceaccount-team-a-builder true [jwt synthetic] <nil>
	// 401 authn: jwt: rejected: token audience not accepted
}

// A claims check refuses a verified token whose claims break a rule of the
// program's: here, only tokens of pods in namespace team-a.
func ExampleWithClaimsCheck() {
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
	const issuer = "https://kubernetes.default.svc.cluster.local"
	teamA := func(claims map[string]any) error {
		k8s, _ := claims["kubernetes.io"].(map[string]any)
		if k8s["namespace"] != "team-a" {
			return errors.New("only team-a's pods may call")
		}
		return nil
	}
	s, err := jwt.ServiceAccount(issuer, keys, jwt.WithAudiences("authchain"), jwt.WithClaimsCheck(teamA))
	if err != nil {
		panic(err)
	}
	for _, ns := range []string{"team-a", "team-b"} {
		now := time.Now()
		token, err := gojwt.NewWithClaims(gojwt.SigningMethodES256, gojwt.MapClaims{
			"iss": issuer,
			"sub": "system:serviceaccount:" + ns + ":builder",
			"aud": []string{"authchain"},
			"exp": now.Add(time.Hour).Unix(),
			"kubernetes.io": map[string]any{
				"namespace":      ns,
				"serviceaccount": map[string]any{"name": "builder", "uid": "9b1f6a4e"},
			},
		}).SignedString(signer)
		if err != nil {
			panic(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/api/projects", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		d := s.Authenticate(r, authn.Principal{})
		fmt.Println(ns, d.Outcome, d.Reason)
	}
	// Output:
	// team-a contributed ServiceAccount token verified
	// team-b rejected only team-a's pods may call
}
