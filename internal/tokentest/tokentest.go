// Package tokentest holds what the tests of the token strategies share:
// signing keys, Kubernetes-shaped claims, minted tokens, requests that
// carry them, and a settable clock. It is imported by tests only.
package tokentest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	gojwt "github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"github.com/authchain/authchain/authn"
)

// The issuer, audience and token id of the claims Claims returns.
const (
	Issuer   = "https://kubernetes.default.svc.cluster.local"
	Audience = "authchain"
	JTI      = "5e3b1a2c-7f4d-4e8a-9c1b-2d3e4f5a6b7c"
)

// Now is the clock of every JWT test: a whole second, so that NumericDate
// boundaries are exact.
func Now() time.Time { return time.Unix(1_767_225_600, 0) }

// TestKeys are the signing keys of the tests.
type TestKeys struct {
	RSA, RSA2 *rsa.PrivateKey
	EC, EC2   *ecdsa.PrivateKey
}

// Keys generates the keys once per test binary: RSA key generation takes a
// noticeable fraction of a second.
var Keys = sync.OnceValue(func() *TestKeys {
	var k TestKeys
	var err error
	for _, p := range []**rsa.PrivateKey{&k.RSA, &k.RSA2} {
		if *p, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	}
	for _, p := range []**ecdsa.PrivateKey{&k.EC, &k.EC2} {
		if *p, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	}
	return &k
})

// KubeKID is the kid kube-apiserver gives a key: unpadded base64url of the
// SHA-256 of its PKIX DER encoding.
func KubeKID(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// JWKS is a JWKS of pubs under their Kubernetes kids, as kube-apiserver
// serves at /openid/v1/jwks: RSA keys for RS256, EC keys for ES256.
func JWKS(t testing.TB, pubs ...crypto.PublicKey) []byte {
	t.Helper()
	return jwksOf(t, func(pub crypto.PublicKey) string {
		if _, ok := pub.(*ecdsa.PublicKey); ok {
			return "ES256"
		}
		return "RS256"
	}, pubs)
}

// JWKSWithAlg is a JWKS of pubs under their Kubernetes kids, each with
// "alg" set to alg, or without "alg" when alg is "".
func JWKSWithAlg(t testing.TB, alg string, pubs ...crypto.PublicKey) []byte {
	t.Helper()
	return jwksOf(t, func(crypto.PublicKey) string { return alg }, pubs)
}

func jwksOf(t testing.TB, alg func(crypto.PublicKey) string, pubs []crypto.PublicKey) []byte {
	t.Helper()
	var set jose.JSONWebKeySet
	for _, pub := range pubs {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: KubeKID(t, pub), Algorithm: alg(pub), Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// StaticJWKS is the JWKS of the public halves of RSA and EC (not RSA2 or
// EC2), the keys RSA and EC sign with.
func StaticJWKS(t testing.TB) []byte {
	t.Helper()
	k := Keys()
	return JWKS(t, &k.RSA.PublicKey, &k.EC.PublicKey)
}

// Claims are the claims kube-apiserver puts in a token projected into a
// pod, valid at Now, with mutations applied in order.
func Claims(mutate ...func(gojwt.MapClaims)) gojwt.MapClaims {
	now := Now()
	c := gojwt.MapClaims{
		"iss": Issuer,
		"sub": "system:serviceaccount:team-a:builder",
		"aud": []any{Audience, "https://kubernetes.default.svc"},
		"exp": now.Add(time.Hour).Unix(),
		"iat": now.Add(-time.Minute).Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"jti": JTI,
		"kubernetes.io": map[string]any{
			"namespace":      "team-a",
			"serviceaccount": map[string]any{"name": "builder", "uid": "sa-uid-1"},
			"pod":            map[string]any{"name": "builder-7d9f", "uid": "pod-uid-1"},
			"node":           map[string]any{"name": "node-1", "uid": "node-uid-1"},
		},
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

// LegacyClaims are the claims of a legacy Secret-based token.
func LegacyClaims(mutate ...func(gojwt.MapClaims)) gojwt.MapClaims {
	c := gojwt.MapClaims{
		"iss":                                    "kubernetes/serviceaccount",
		"sub":                                    "system:serviceaccount:team-a:builder",
		"kubernetes.io/serviceaccount/namespace": "team-a",
		"kubernetes.io/serviceaccount/secret.name":          "builder-token-x7k2p",
		"kubernetes.io/serviceaccount/service-account.name": "builder",
		"kubernetes.io/serviceaccount/service-account.uid":  "sa-uid-1",
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

// Set sets a claim.
func Set(key string, v any) func(gojwt.MapClaims) {
	return func(c gojwt.MapClaims) { c[key] = v }
}

// Unset removes a claim.
func Unset(key string) func(gojwt.MapClaims) {
	return func(c gojwt.MapClaims) { delete(c, key) }
}

// SetK8s sets a field of the kubernetes.io claim; a nil v removes it.
func SetK8s(field string, v any) func(gojwt.MapClaims) {
	return func(c gojwt.MapClaims) {
		k := c["kubernetes.io"].(map[string]any)
		if v == nil {
			delete(k, field)
			return
		}
		k[field] = v
	}
}

// Mint signs claims with key under method. The header gets kid unless it
// is "", then header's entries (a nil value deletes one).
func Mint(t testing.TB, method gojwt.SigningMethod, key any, kid string, claims gojwt.MapClaims, header ...map[string]any) string {
	t.Helper()
	tok := gojwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	for _, h := range header {
		for k, v := range h {
			if v == nil {
				delete(tok.Header, k)
			} else {
				tok.Header[k] = v
			}
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// RSA signs with the RSA key of StaticJWKS, under its kid.
func RSA(t testing.TB, claims gojwt.MapClaims, header ...map[string]any) string {
	t.Helper()
	k := Keys()
	return Mint(t, gojwt.SigningMethodRS256, k.RSA, KubeKID(t, &k.RSA.PublicKey), claims, header...)
}

// EC signs with the EC key of StaticJWKS, under its kid.
func EC(t testing.TB, claims gojwt.MapClaims, header ...map[string]any) string {
	t.Helper()
	k := Keys()
	return Mint(t, gojwt.SigningMethodES256, k.EC, KubeKID(t, &k.EC.PublicKey), claims, header...)
}

// Raw assembles a token from a JSON header and payload and a signature
// segment, none of them checked.
func Raw(header, payload, sig string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + sig
}

// Tamper replaces the payload of token with edit(payload), keeping the
// header and the signature.
func Tamper(t testing.TB, token string, edit func(string) string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(string(payload))
	if edited == string(payload) {
		t.Fatal("tamper changed nothing")
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(edited))
	return strings.Join(parts, ".")
}

// Request is a request carrying token as "Authorization: Bearer", or no
// Authorization when token is "".
func Request(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/projects", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// CheckReasonHidesToken fails if d's reason quotes token or one of its
// segments.
func CheckReasonHidesToken(t *testing.T, d authn.Decision, token string) {
	t.Helper()
	for _, s := range append([]string{token}, strings.Split(token, ".")...) {
		if len(s) >= 8 && strings.Contains(d.Reason, s) {
			t.Errorf("reason %q quotes the token", d.Reason)
		}
	}
}

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at a fixed instant.
func NewClock() *Clock { return NewClockAt(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)) }

// NewClockAt returns a Clock at t.
func NewClockAt(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// RaceDetectorOn reports whether the test binary was built with -race.
func RaceDetectorOn() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// Authenticate runs s on a request carrying token, with nothing
// established before.
func Authenticate(s authn.Strategy, token string) authn.Decision {
	return s.Authenticate(Request(token), authn.Principal{})
}

// WantOutcome fails unless d has outcome want and, if reason is not "",
// that reason.
func WantOutcome(t *testing.T, what string, d authn.Decision, want authn.Outcome, reason string) {
	t.Helper()
	if d.Outcome != want || reason != "" && d.Reason != reason {
		t.Errorf("%s: %v %q (cause %v), want %v %q", what, d.Outcome, d.Reason, d.Cause, want, reason)
	}
}

// WantNotVerified fails if d established an identity.
func WantNotVerified(t *testing.T, what string, d authn.Decision) {
	t.Helper()
	if d.Outcome == authn.Contributed {
		t.Errorf("%s: contributed %+v (%q)", what, d.Principal.Actor, d.Reason)
	}
}

// WantRejected fails unless d is a rejection (a token for this issuer must
// be refused, never passed on).
func WantRejected(t *testing.T, what string, d authn.Decision) {
	t.Helper()
	if d.Outcome != authn.Rejected {
		t.Errorf("%s: %v %q, want rejected", what, d.Outcome, d.Reason)
	}
}

// PEM encodes der as one PEM block of type typ.
func PEM(t testing.TB, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// PKIXPEM is pub as a PEM "PUBLIC KEY" block.
func PKIXPEM(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return PEM(t, "PUBLIC KEY", der)
}

// CredentialSink is a TLS server that records the Authorization header of
// every request it gets, and then answers with its handler.
type CredentialSink struct {
	Server   *httptest.Server
	Requests atomic.Int32
	mu       sync.Mutex
	auth     []string
}

// NewCredentialSink starts a CredentialSink, closed when the test ends.
func NewCredentialSink(t *testing.T, handler http.Handler) *CredentialSink {
	t.Helper()
	c := &CredentialSink{}
	c.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Requests.Add(1)
		c.mu.Lock()
		c.auth = append(c.auth, r.Header.Get("Authorization"))
		c.mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Server.Close)
	return c
}

// NewJWKSSink is a CredentialSink that serves a JWKS of pubs.
func NewJWKSSink(t *testing.T, pubs ...crypto.PublicKey) *CredentialSink {
	t.Helper()
	set := JWKS(t, pubs...)
	return NewCredentialSink(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(set) }))
}

// Authorizations returns the Authorization headers received so far.
func (c *CredentialSink) Authorizations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.auth)
}

// VerifyNoLeaks fails the test if it leaves goroutines behind.
func VerifyNoLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// Verified is the jwt strategy's decision for a token with Claims, with
// mutations applied in order.
func Verified(mutate ...func(*authn.Principal)) authn.Decision {
	p := authn.Principal{
		Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "builder", UID: "sa-uid-1"},
		Credential: &authn.Credential{
			Type:      "jwt",
			ID:        "JTI=" + JTI,
			Issuer:    Issuer,
			Audiences: []string{Audience},
			ExpiresAt: Now().Add(time.Hour),
			Pod:       &authn.BoundObject{Name: "builder-7d9f", UID: "pod-uid-1"},
			Node:      &authn.BoundObject{Name: "node-1", UID: "node-uid-1"},
		},
	}
	for _, m := range mutate {
		m(&p)
	}
	return authn.Contribute(p, "ServiceAccount token verified")
}

// NoPanic runs f and turns a panic into an error.
func NoPanic(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panicked: %v", v)
		}
	}()
	return f()
}

// CheckUnbuilt checks what a strategy type's zero value gets: NewChain
// refuses it with an error wrapping authn.ErrNotBuilt that says to use
// constructor, and a chain never panics on it. r is a request that would
// reach it.
func CheckUnbuilt(t *testing.T, zero authn.Strategy, constructor string, r *http.Request) {
	t.Helper()
	chain, err := authn.NewChain(zero)
	if err == nil || chain != nil {
		t.Errorf("NewChain accepted a zero %T", zero)
		if err := NoPanic(func() error { _, _, err := chain.Authenticate(r); return err }); err != nil && strings.HasPrefix(err.Error(), "panicked") {
			t.Errorf("and the first request panicked: %v", err)
		}
		return
	}
	if !errors.Is(err, authn.ErrNotBuilt) || !strings.Contains(err.Error(), "use "+constructor) {
		t.Errorf("err = %v, want ErrNotBuilt saying to use %s", err, constructor)
	}
}

// CheckBuilt fails unless s, built by its constructor, validates and is
// accepted by NewChain.
func CheckBuilt(t *testing.T, s authn.Strategy) {
	t.Helper()
	if err := s.(authn.Validator).Validate(); err != nil {
		t.Errorf("%T built by its constructor: Validate = %v", s, err)
	}
	if _, err := authn.NewChain(s); err != nil {
		t.Errorf("NewChain refused %T built by its constructor: %v", s, err)
	}
}
