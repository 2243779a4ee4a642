package verify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/assertion/verify"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authntest"
)

// A minting service that serves Signer.DiscoveryHandler and
// KeyRing.Handler under its issuer is found by jwks.OIDC: the verifier
// keeps its keys current, and learns a rotated key from the unknown kid
// of the first assertion it signs.
func TestDiscovery(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := assertion.NewKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := assertion.NewSigner(srv.URL, ring)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET "+assertion.DiscoveryPath, signer.DiscoveryHandler("/.well-known/jwks.json"))
	mux.Handle("GET /.well-known/jwks.json", ring.Handler())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The key set's clock moves on between the checks, so that its rate
	// limit allows the refresh an unknown kid asks for.
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	keys, err := jwks.OIDC(ctx, srv.URL, jwks.WithHTTPClient(srv.Client()), jwks.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	s, err := verify.New(srv.URL, keys, verify.WithAudiences("runner"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string) {
		t.Helper()
		token, err := signer.Sign(human(), "runner")
		if err != nil {
			t.Fatal(err)
		}
		if d := s.Authenticate(authntest.NewRequest(present(token)), authn.Principal{}); d.Outcome != authn.Contributed {
			t.Errorf("%s: %v %s", what, d.Outcome, d.Reason)
		}
	}
	check("first key")
	if err := ring.Rotate(edKey(t)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(jwks.DefaultMinRefreshInterval)
	mu.Unlock()
	check("rotated key")
}
