package jwks_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authchain/authchain/authn/bearer/jwks"
	jose "github.com/go-jose/go-jose/v4"
)

// A fixed key set, from the PEM public key kube-apiserver signs with (the
// file given to --service-account-key-file). A one-key set also answers a
// token without a kid; any other kid is unknown.
func ExampleStatic() {
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
	key, err := keys.Key(context.Background(), "")
	fmt.Println(signer.PublicKey.Equal(key), err)
	_, err = keys.Key(context.Background(), "another-kid")
	fmt.Println(errors.Is(err, jwks.ErrUnknownKey))
	// Output:
	// true <nil>
	// true
}

// OIDC finds an issuer's keys through discovery and keeps them current. A
// test server stands in for kube-apiserver's /.well-known/openid-configuration
// and its JWKS; in a cluster, give WithHTTPClient the client
// kubecache.APIServerHTTPClient builds.
func ExampleOIDC() {
	signer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &signer.PublicKey, KeyID: "key-1", Algorithm: "ES256", Use: "sig"},
	}})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "jwks_uri": srv.URL + "/openid/v1/jwks"})
	})
	mux.HandleFunc("/openid/v1/jwks", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(set) })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keys, err := jwks.OIDC(ctx, srv.URL, jwks.WithHTTPClient(srv.Client()))
	if err != nil {
		panic(err)
	}
	defer keys.Close()
	// The first Key waits (at most 5 s) for the first fetch.
	key, alg, err := keys.KeyAndAlgorithm(ctx, "key-1")
	fmt.Println(signer.PublicKey.Equal(key), alg, err, keys.Synced())
	// Output: true ES256 <nil> true
}

// URL keeps a bare JWKS current, without discovery, as Pomerium, Google
// IAP and Teleport publish theirs. A test server stands in for a Pomerium
// route's /.well-known/pomerium/jwks.json.
func ExampleURL() {
	signer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &signer.PublicKey, KeyID: "route-key", Algorithm: "ES256", Use: "sig"},
	}})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(set) }))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keys, err := jwks.URL(ctx, srv.URL+"/.well-known/pomerium/jwks.json", jwks.WithHTTPClient(srv.Client()))
	if err != nil {
		panic(err)
	}
	defer keys.Close()
	key, alg, err := keys.KeyAndAlgorithm(ctx, "route-key")
	fmt.Println(signer.PublicKey.Equal(key), alg, err, keys.Synced())
	// Output: true ES256 <nil> true
}
