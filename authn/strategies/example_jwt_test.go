package strategies_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
)

// A pod calls the API with its projected ServiceAccount token. The token is
// verified with the public key kube-apiserver signs with (the file given to
// --service-account-key-file), without calling the API server.
func ExampleServiceAccountJWT() {
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
	keys, err := strategies.StaticKeySet(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil {
		panic(err)
	}
	const issuer = "https://kubernetes.default.svc.cluster.local"
	serviceAccountJWT, err := strategies.ServiceAccountJWT(issuer, keys, strategies.WithAudiences("authchain"))
	if err != nil {
		panic(err)
	}
	chain, err := authn.NewChain(serviceAccountJWT, strategies.Synthetic())
	if err != nil {
		panic(err)
	}

	// What the kubelet projects into a pod for audience "authchain".
	now := time.Now()
	token, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
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
	other, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
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

// In a pod, the cluster's keys are fetched from the API server with the
// pod's own token and the cluster's CA: by default the API server serves
// OIDC discovery only to authenticated ServiceAccounts. The token must go
// to the API server alone, under each name it is reached by: the issuer,
// and the origin of the jwks_uri the discovery document names (the API
// server's advertised address, see `kubectl get --raw
// /.well-known/openid-configuration`), which OIDCKeySet must be allowed to
// fetch from. The key set follows key rotation by itself; Synced reports
// readiness.
func ExampleOIDCKeySet() {
	ctx := context.Background() // the process's lifetime
	config, err := rest.InClusterConfig()
	if err != nil {
		log.Fatal(err)
	}
	const (
		issuer     = "https://kubernetes.default.svc.cluster.local"
		jwksOrigin = "https://172.18.0.2:6443"
	)
	client, err := strategies.APIServerHTTPClient(config, issuer, jwksOrigin)
	if err != nil {
		log.Fatal(err)
	}
	keys, err := strategies.OIDCKeySet(ctx, issuer,
		strategies.WithHTTPClient(client), strategies.WithJWKSOrigins(jwksOrigin))
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()
	serviceAccountJWT, err := strategies.ServiceAccountJWT(issuer, keys, strategies.WithAudiences("authchain"))
	if err != nil {
		log.Fatal(err)
	}

	chain, err := authn.NewChain(serviceAccountJWT, strategies.Synthetic())
	if err != nil {
		log.Fatal(err)
	}
	_ = chain

	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !keys.Synced() {
			http.Error(w, "service account keys not fetched", http.StatusServiceUnavailable)
		}
	})
}
