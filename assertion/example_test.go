package assertion_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/assertion/verify"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/chiadapter"
)

// A backend passes the identity of the request it serves on to a runner
// service: its Transport attaches an assertion of the Principal in the
// request's context, and the runner's chain rebuilds that Principal.
func ExampleNewTransport() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	ring, err := assertion.NewKeyRing(key)
	if err != nil {
		panic(err)
	}
	signer, err := assertion.NewSigner("https://backend.example.com", ring)
	if err != nil {
		panic(err)
	}

	// The runner trusts the backend's published keys (here a copy; see
	// KeyRing.Handler) for assertions addressed to it.
	runner := httptest.NewServer(nil)
	defer runner.Close()
	keys, err := jwks.Static(ring.JWKS())
	if err != nil {
		panic(err)
	}
	fromBackend, err := verify.New("https://backend.example.com", keys, verify.WithAudiences(runner.URL))
	if err != nil {
		panic(err)
	}
	chain, err := authn.NewChain(fromBackend)
	if err != nil {
		panic(err)
	}
	runner.Config.Handler = chiadapter.Authenticate(chain)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := authn.FromContext(r.Context())
		fmt.Fprintf(w, "runner: %s acting through %s", p.User.Name, p.Actor.Subject())
	}))

	// In the backend, the context is the served request's, which
	// chiadapter.Authenticate filled.
	transport, err := assertion.NewTransport(signer)
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: transport}
	ctx := authn.NewContext(context.Background(), authn.Principal{
		User:  authn.User{Name: "alice@example.com"},
		Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "ci-key", UID: "7d3c"},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, runner.URL, nil)
	if err != nil {
		panic(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))

	// Without a Principal nothing is sent.
	req, _ = http.NewRequest(http.MethodGet, runner.URL, nil)
	_, err = client.Do(req)
	fmt.Println(strings.Contains(err.Error(), assertion.ErrNoPrincipal.Error()))
	// Output:
	// runner: alice@example.com acting through system:serviceaccount:team-a:ci-key
	// true
}

// Sign mints one assertion; its payload is the wire format of the
// package documentation.
func ExampleNewSigner() {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	ring, err := assertion.NewKeyRing(key)
	if err != nil {
		panic(err)
	}
	signer, err := assertion.NewSigner("https://backend.example.com", ring, assertion.WithLifetime(assertion.MaxLifetime))
	if err != nil {
		panic(err)
	}
	token, err := signer.Sign(authn.Principal{
		User:  authn.User{Name: "alice@example.com", Groups: []string{"team-a"}},
		Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "ci-key", UID: "7d3c"},
		Via:   []string{"jwt", "annotation"},
	}, "https://runner.example.com")
	if err != nil {
		panic(err)
	}
	var claims struct {
		Sub      string
		Aud      string
		Exp, Iat int64
		Act      map[string]any
		User     map[string]any `json:"authchain.dev/user"`
		Via      []string       `json:"authchain.dev/via"`
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		panic(err)
	}
	fmt.Println(signer.Issuer(), claims.Sub, claims.Aud, claims.Exp-claims.Iat)
	fmt.Println(claims.Act)
	fmt.Println(claims.User, claims.Via)

	_, err = signer.Sign(authn.Principal{}, "https://runner.example.com")
	fmt.Println(err)
	// Output:
	// https://backend.example.com alice@example.com https://runner.example.com 300
	// map[authchain.dev/uid:7d3c sub:system:serviceaccount:team-a:ci-key]
	// map[groups:[team-a]] [jwt annotation]
	// assertion: no authenticated principal
}

// The ring publishes the current key, a staged next key, and after Rotate
// the retired one until its assertions have expired. Staging first lets
// verifiers fetch the next key before any assertion names it.
func ExampleNewKeyRing() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ring, err := assertion.NewKeyRing(key)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/jwks.json", ring.Handler())

	_, next, _ := ed25519.GenerateKey(rand.Reader)
	if err := ring.Stage(next); err != nil {
		panic(err)
	}
	// … later than the verifiers' refresh interval:
	if err := ring.Rotate(next); err != nil {
		panic(err)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	var set struct {
		Keys []struct{ Kty, Alg string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		panic(err)
	}
	fmt.Println(rec.Header().Get("Cache-Control"), set.Keys)
	// Output:
	// public, max-age=60 [{OKP EdDSA} {EC ES256}]
}

// A downstream that reads plain headers gets the Principal's, and never a
// copy the client sent.
func ExampleNewPlainHeaders() {
	plain, err := assertion.NewPlainHeaders("X-Runner-User", "X-Runner-Group", "X-Runner-Actor")
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	h.Set("X-Runner-User", "mallory")        // copied from the inbound request
	h["x_runner_group"] = []string{"admins"} // another spelling of it
	err = plain.Set(h, authn.Principal{
		User:  authn.User{Name: "alice@example.com", Groups: []string{"team-a", "team-b"}},
		Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "ci-key"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(h)
	// Output:
	// map[X-Runner-Actor:[system:serviceaccount:team-a:ci-key] X-Runner-Group:[team-a team-b] X-Runner-User:[alice@example.com]]
}
