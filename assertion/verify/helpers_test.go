package verify_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/assertion/verify"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
)

const (
	issuer   = "https://backend.example.com"
	audience = "https://runner.example.com"
)

// start is the fixed time every test mints and verifies at.
var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// minter is a minting service in a test: its private key, ring, signer
// and the key id verifiers see.
type minter struct {
	key    *ecdsa.PrivateKey
	ring   *assertion.KeyRing
	signer *assertion.Signer
	kid    string
}

func newMinter(t testing.TB, iss string, now func() time.Time) *minter {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := assertion.NewKeyRing(key, assertion.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := assertion.NewSigner(iss, ring, assertion.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(ring.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	return &minter{key: key, ring: ring, signer: signer, kid: set.Keys[0].Kid}
}

// keys returns a static key set of the minter's published keys.
func (m *minter) keys(t testing.TB) jwks.KeySet {
	t.Helper()
	ks, err := jwks.Static(m.ring.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func (m *minter) sign(t testing.TB, p authn.Principal, aud string) string {
	t.Helper()
	token, err := m.signer.Sign(p, aud)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// forge signs claims with the minter's key, kid and typ as given, so that
// a test can write what a Signer refuses to.
func (m *minter) forge(t testing.TB, method gojwt.SigningMethod, key any, header map[string]any, claims gojwt.MapClaims) string {
	t.Helper()
	tok := gojwt.NewWithClaims(method, claims)
	tok.Header["kid"] = m.kid
	tok.Header["typ"] = assertion.TokenType
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
			continue
		}
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wire returns the claims a Signer would write for alice acting through
// the ServiceAccount team-a/runner-key.
func wire() gojwt.MapClaims {
	return gojwt.MapClaims{
		"iss": issuer, "sub": "alice", "aud": audience, "jti": "j-1",
		"iat": start.Unix(), "nbf": start.Unix(), "exp": start.Add(2 * time.Minute).Unix(),
		"act":             map[string]any{"sub": "system:serviceaccount:team-a:runner-key", "authchain.dev/uid": "sa-uid-1"},
		"authchain.dev/v": 1,
	}
}

func human() authn.Principal {
	return authn.Principal{
		User: authn.User{
			Name: "alice@example.com", UID: "u-1", Email: "alice@example.com",
			Groups: []string{"team-a", "team-b"},
			Extra:  map[string][]string{"example.com/tenant": {"t-1"}},
		},
		Actor: &authn.ServiceAccount{
			Namespace: "team-a", Name: "runner-key", UID: "sa-uid-1",
			Attributes: map[string]string{"example.com/scope": "read"},
		},
		Credential: &authn.Credential{Type: "jwt", ID: "JTI=abc", Issuer: "https://kubernetes.default.svc"},
		Via:        []string{"jwt", "annotation"},
	}
}

func synthetic() authn.Principal {
	return authn.Principal{
		User:      authn.User{Name: authn.SyntheticNamePrefix + "team-a-bot"},
		Actor:     &authn.ServiceAccount{Namespace: "team-a", Name: "bot", UID: "sa-uid-2"},
		Synthetic: true,
		Via:       []string{"jwt", "synthetic"},
	}
}

func direct() authn.Principal {
	return authn.Principal{User: authn.User{Name: "bob"}, Via: []string{"forwarded"}}
}

func newStrategy(t testing.TB, m *minter, opts ...verify.Option) *verify.Strategy {
	t.Helper()
	s, err := verify.New(issuer, m.keys(t), append([]verify.Option{
		verify.WithAudiences(audience), verify.WithClock(func() time.Time { return start }),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// edKey returns a fresh Ed25519 key.
func edKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func decodeSegment(t testing.TB, seg string) string {
	t.Helper()
	b, err := gojwt.NewParser().DecodeSegment(seg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func encodeSegment(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
