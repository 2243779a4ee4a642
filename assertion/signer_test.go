package assertion_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/authn"
)

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return start }

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newSigner(t testing.TB, opts ...assertion.Option) (*assertion.Signer, *assertion.KeyRing) {
	t.Helper()
	ring, err := assertion.NewKeyRing(ecKey(t), assertion.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	s, err := assertion.NewSigner("https://backend.example.com", ring, append([]assertion.Option{assertion.WithClock(clock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s, ring
}

func alice() authn.Principal {
	return authn.Principal{
		User: authn.User{
			Name: "alice@example.com", UID: "u-1", Email: "alice@example.com",
			Groups: []string{"team-a"}, Extra: map[string][]string{"example.com/tenant": {"t-1"}},
		},
		Actor: &authn.ServiceAccount{
			Namespace: "team-a", Name: "runner-key", UID: "sa-uid-1",
			Attributes: map[string]string{"example.com/scope": "read"},
		},
		Credential: &authn.Credential{Type: "jwt", ID: "JTI=abc"},
		Via:        []string{"jwt", "annotation"},
	}
}

// segments decodes the header and payload of token.
func segments(t testing.TB, token string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, payload
}

// TestWireFormat pins version 1 of the wire format the package doc
// describes: every claim, its name and its shape.
func TestWireFormat(t *testing.T) {
	s, ring := newSigner(t, assertion.WithLifetime(time.Minute))
	token, err := s.Sign(alice(), "https://runner.example.com")
	if err != nil {
		t.Fatal(err)
	}
	header, payload := segments(t, token)
	var set struct{ Keys []map[string]any }
	if err := json.Unmarshal(ring.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	wantHeader := map[string]any{"alg": "ES256", "kid": set.Keys[0]["kid"], "typ": assertion.TokenType}
	if diff := cmp.Diff(wantHeader, header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	jti, _ := payload["jti"].(string)
	if b, err := base64.RawURLEncoding.DecodeString(jti); err != nil || len(b) != 16 {
		t.Errorf("jti %q is not 128 bits in base64url", jti)
	}
	delete(payload, "jti")
	want := map[string]any{
		"iss": "https://backend.example.com", "sub": "alice@example.com", "aud": "https://runner.example.com",
		"iat": float64(start.Unix()), "nbf": float64(start.Unix()), "exp": float64(start.Add(time.Minute).Unix()),
		"act": map[string]any{
			"sub": "system:serviceaccount:team-a:runner-key", "authchain.dev/uid": "sa-uid-1",
			"authchain.dev/attributes": map[string]any{"example.com/scope": "read"},
		},
		"authchain.dev/v": float64(1),
		"authchain.dev/user": map[string]any{
			"uid": "u-1", "email": "alice@example.com", "groups": []any{"team-a"},
			"extra": map[string]any{"example.com/tenant": []any{"t-1"}},
		},
		"authchain.dev/via":           []any{"jwt", "annotation"},
		"authchain.dev/credential-id": "JTI=abc",
	}
	if diff := cmp.Diff(want, payload); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}

	// A human calling directly: no act, no user object, no synthetic.
	token, err = s.Sign(authn.Principal{User: authn.User{Name: "bob"}}, "runner")
	if err != nil {
		t.Fatal(err)
	}
	_, payload = segments(t, token)
	for _, absent := range []string{"act", "authchain.dev/user", "authchain.dev/synthetic", "authchain.dev/via", "authchain.dev/credential-id"} {
		if _, ok := payload[absent]; ok {
			t.Errorf("%s present for a direct human", absent)
		}
	}
	// A synthetic user says so.
	syn := alice()
	syn.Synthetic, syn.User = true, authn.User{Name: authn.SyntheticNamePrefix + "team-a-runner-key"}
	token, err = s.Sign(syn, "runner")
	if err != nil {
		t.Fatal(err)
	}
	if _, payload = segments(t, token); payload["authchain.dev/synthetic"] != true {
		t.Errorf("synthetic claim %v", payload["authchain.dev/synthetic"])
	}
}

// Every assertion has its own jti.
func TestJTIUnique(t *testing.T) {
	s, _ := newSigner(t)
	seen := map[any]bool{}
	for range 100 {
		token, err := s.Sign(alice(), "runner")
		if err != nil {
			t.Fatal(err)
		}
		_, p := segments(t, token)
		if seen[p["jti"]] {
			t.Fatal("jti repeated")
		}
		seen[p["jti"]] = true
	}
}

func TestSignRefuses(t *testing.T) {
	s, _ := newSigner(t)
	noActor := alice()
	noActor.Actor, noActor.Synthetic = nil, true
	halfActor := alice()
	halfActor.Actor = &authn.ServiceAccount{Name: "x"}
	for _, tt := range []struct {
		name string
		p    authn.Principal
		aud  string
		want error
	}{
		{"zero principal", authn.Principal{}, "runner", assertion.ErrNoPrincipal},
		{"actor without user", authn.Principal{Actor: alice().Actor}, "runner", assertion.ErrNoPrincipal},
		{"synthetic without actor", noActor, "runner", assertion.ErrInvalidPrincipal},
		{"actor without namespace", halfActor, "runner", assertion.ErrInvalidPrincipal},
		{"empty audience", alice(), "", assertion.ErrInvalidAudience},
		{"audience with space", alice(), "a b", assertion.ErrInvalidAudience},
		{"audience with newline", alice(), "a\nb", assertion.ErrInvalidAudience},
		{"audience too long", alice(), strings.Repeat("a", assertion.MaxAudienceLength+1), assertion.ErrInvalidAudience},
	} {
		token, err := s.Sign(tt.p, tt.aud)
		if !errors.Is(err, tt.want) || token != "" {
			t.Errorf("%s: %q, %v; want %v", tt.name, token, err, tt.want)
		}
	}
}

func TestConstructorsRefuse(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := assertion.NewKeyRing(rsaKey); err == nil {
		t.Error("NewKeyRing took an RSA key")
	}
	if _, err := assertion.NewKeyRing(p384); err == nil {
		t.Error("NewKeyRing took a P-384 key")
	}
	if _, err := assertion.NewKeyRing(ecKey(t), assertion.WithLifetime(time.Minute)); err == nil {
		t.Error("NewKeyRing took WithLifetime")
	}
	ring, err := assertion.NewKeyRing(ecKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Rotate(rsaKey); err == nil {
		t.Error("Rotate took an RSA key")
	}
	for name, build := range map[string]func() (*assertion.Signer, error){
		"no issuer":         func() (*assertion.Signer, error) { return assertion.NewSigner("", ring) },
		"relative issuer":   func() (*assertion.Signer, error) { return assertion.NewSigner("backend", ring) },
		"issuer with query": func() (*assertion.Signer, error) { return assertion.NewSigner("https://b.example.com/?x=1", ring) },
		"no ring":           func() (*assertion.Signer, error) { return assertion.NewSigner("https://b.example.com", nil) },
		"zero ring": func() (*assertion.Signer, error) {
			return assertion.NewSigner("https://b.example.com", &assertion.KeyRing{})
		},
		"lifetime 0": func() (*assertion.Signer, error) {
			return assertion.NewSigner("https://b.example.com", ring, assertion.WithLifetime(0))
		},
		"lifetime 6m": func() (*assertion.Signer, error) {
			return assertion.NewSigner("https://b.example.com", ring, assertion.WithLifetime(6*time.Minute))
		},
		"nil clock": func() (*assertion.Signer, error) {
			return assertion.NewSigner("https://b.example.com", ring, assertion.WithClock(nil))
		},
		"nil option": func() (*assertion.Signer, error) { return assertion.NewSigner("https://b.example.com", ring, nil) },
	} {
		if s, err := build(); err == nil {
			t.Errorf("%s: built %v", name, s)
		}
	}
	if _, err := assertion.NewSigner("https://b.example.com", ring, assertion.WithLifetime(assertion.MaxLifetime)); err != nil {
		t.Errorf("MaxLifetime refused: %v", err)
	}
}
