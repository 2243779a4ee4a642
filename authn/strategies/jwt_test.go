package strategies_test

import (
	"context"
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
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
)

const (
	jwtIssuer   = "https://kubernetes.default.svc.cluster.local"
	jwtAudience = "authchain"
	jwtJTI      = "5e3b1a2c-7f4d-4e8a-9c1b-2d3e4f5a6b7c"
)

// jwtTestNow is the clock of every JWT test: a whole second, so that
// NumericDate boundaries are exact.
func jwtTestNow() time.Time { return time.Unix(1_767_225_600, 0) }

// jwtKeys are the signing keys of the tests.
type jwtKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	ec, ec2   *ecdsa.PrivateKey
}

// jwtTestKeys generates the keys once per test binary: RSA key generation
// takes a noticeable fraction of a second.
var jwtTestKeys = sync.OnceValue(func() *jwtKeys {
	var k jwtKeys
	var err error
	for _, p := range []**rsa.PrivateKey{&k.rsa, &k.rsa2} {
		if *p, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	}
	for _, p := range []**ecdsa.PrivateKey{&k.ec, &k.ec2} {
		if *p, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	}
	return &k
})

// kubeKID is the kid kube-apiserver gives a key: unpadded base64url of the
// SHA-256 of its PKIX DER encoding.
func kubeKID(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// jwksJSON is a JWKS of pubs under their Kubernetes kids, as
// kube-apiserver serves at /openid/v1/jwks.
func jwksJSON(t testing.TB, pubs ...crypto.PublicKey) []byte {
	t.Helper()
	var set jose.JSONWebKeySet
	for _, pub := range pubs {
		alg := "RS256"
		if _, ok := pub.(*ecdsa.PublicKey); ok {
			alg = "ES256"
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: kubeKID(t, pub), Algorithm: alg, Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jwtStaticKeys holds the public halves of rsa and ec (not rsa2 or ec2).
func jwtStaticKeys(t testing.TB) strategies.KeySet {
	t.Helper()
	k := jwtTestKeys()
	keys, err := strategies.StaticKeySet(jwksJSON(t, &k.rsa.PublicKey, &k.ec.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// jwtClaims are the claims kube-apiserver puts in a token projected into a
// pod, valid at jwtTestNow, with mutations applied in order.
func jwtClaims(mutate ...func(jwt.MapClaims)) jwt.MapClaims {
	now := jwtTestNow()
	c := jwt.MapClaims{
		"iss": jwtIssuer,
		"sub": "system:serviceaccount:team-a:builder",
		"aud": []any{jwtAudience, "https://kubernetes.default.svc"},
		"exp": now.Add(time.Hour).Unix(),
		"iat": now.Add(-time.Minute).Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"jti": jwtJTI,
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

// legacyClaims are the claims of a legacy Secret-based token.
func legacyClaims(mutate ...func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss":                                    strategies.LegacyServiceAccountIssuer,
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

func set(key string, v any) func(jwt.MapClaims) {
	return func(c jwt.MapClaims) { c[key] = v }
}

func unset(key string) func(jwt.MapClaims) {
	return func(c jwt.MapClaims) { delete(c, key) }
}

// setK8s sets a field of the kubernetes.io claim; a nil v removes it.
func setK8s(field string, v any) func(jwt.MapClaims) {
	return func(c jwt.MapClaims) {
		k := c["kubernetes.io"].(map[string]any)
		if v == nil {
			delete(k, field)
			return
		}
		k[field] = v
	}
}

// mintJWT signs claims with key under method. The header gets kid unless
// it is "", then header's entries (a nil value deletes one).
func mintJWT(t testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims, header ...map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
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

// rsaJWT and ecJWT sign with the keys of jwtStaticKeys, under their kids.
func rsaJWT(t testing.TB, claims jwt.MapClaims, header ...map[string]any) string {
	t.Helper()
	k := jwtTestKeys()
	return mintJWT(t, jwt.SigningMethodRS256, k.rsa, kubeKID(t, &k.rsa.PublicKey), claims, header...)
}

func ecJWT(t testing.TB, claims jwt.MapClaims, header ...map[string]any) string {
	t.Helper()
	k := jwtTestKeys()
	return mintJWT(t, jwt.SigningMethodES256, k.ec, kubeKID(t, &k.ec.PublicKey), claims, header...)
}

// rawJWT assembles a token from a JSON header and payload and a signature
// segment, none of them checked.
func rawJWT(header, payload, sig string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + sig
}

// tamper replaces the payload of token with edit(payload), keeping the
// header and the signature.
func tamper(t testing.TB, token string, edit func(string) string) string {
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

func newJWT(t testing.TB, keys strategies.KeySet, opts ...strategies.JWTOption) *strategies.JWTStrategy {
	t.Helper()
	opts = append([]strategies.JWTOption{
		strategies.WithAudiences(jwtAudience),
		strategies.WithJWTClock(jwtTestNow),
	}, opts...)
	s, err := strategies.ServiceAccountJWT(jwtIssuer, keys, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bearerRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/projects", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// jwtVerified is the decision for a token with jwtClaims, mutated.
func jwtVerified(mutate ...func(*authn.Principal)) authn.Decision {
	p := authn.Principal{
		Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "builder", UID: "sa-uid-1"},
		Credential: &authn.Credential{
			Type:      "jwt",
			ID:        "JTI=" + jwtJTI,
			Issuer:    jwtIssuer,
			Audiences: []string{jwtAudience},
			ExpiresAt: jwtTestNow().Add(time.Hour),
			Pod:       &authn.BoundObject{Name: "builder-7d9f", UID: "pod-uid-1"},
			Node:      &authn.BoundObject{Name: "node-1", UID: "node-uid-1"},
		},
	}
	for _, m := range mutate {
		m(&p)
	}
	return authn.Contribute(p, "ServiceAccount token verified")
}

// checkReasonHidesToken fails if d's reason quotes token or one of its
// segments.
func checkReasonHidesToken(t *testing.T, d authn.Decision, token string) {
	t.Helper()
	for _, s := range append([]string{token}, strings.Split(token, ".")...) {
		if len(s) >= 8 && strings.Contains(d.Reason, s) {
			t.Errorf("reason %q quotes the token", d.Reason)
		}
	}
}

// jwtKeySetFunc adapts a function to a KeySet.
type jwtKeySetFunc func(ctx context.Context, kid string) (crypto.PublicKey, error)

func (f jwtKeySetFunc) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	return f(ctx, kid)
}

func TestServiceAccountJWT(t *testing.T) {
	k := jwtTestKeys()
	now := jwtTestNow()
	skew := strategies.DefaultClockSkew
	rsaKID := kubeKID(t, &k.rsa.PublicKey)
	pubPEM, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubPEM})
	valid := rsaJWT(t, jwtClaims())
	legacy := rsaJWT(t, legacyClaims())
	insecureLegacy := []strategies.JWTOption{strategies.InsecureAcceptLegacySecretTokens()}
	forwarded := func(name string) authn.Principal { return authn.Principal{User: authn.User{Name: name}} }

	tests := []struct {
		name  string
		token string
		opts  []strategies.JWTOption
		sofar authn.Principal
		want  authn.Decision
	}{
		// Verified.
		{name: "RS256", token: valid, want: jwtVerified()},
		{name: "ES256", token: ecJWT(t, jwtClaims()), want: jwtVerified()},
		{
			// The set publishes the RSA key with "alg":"RS256".
			name:  "PS256 with a key bound to RS256",
			token: mintJWT(t, jwt.SigningMethodPS256, k.rsa, rsaKID, jwtClaims()),
			want:  authn.Reject("token algorithm does not match its key"),
		},
		{
			name:  "aud as a single string",
			token: rsaJWT(t, jwtClaims(set("aud", jwtAudience))),
			want:  jwtVerified(),
		},
		{
			name:  "credential lists only the configured audiences the token names",
			token: rsaJWT(t, jwtClaims(set("aud", []any{"other", jwtAudience, "second", jwtAudience}))),
			opts:  []strategies.JWTOption{strategies.WithAudiences("second", "unused")},
			want: jwtVerified(func(p *authn.Principal) {
				p.Credential.Audiences = []string{jwtAudience, "second"}
			}),
		},
		{
			name:  "no jti, pod or node",
			token: rsaJWT(t, jwtClaims(unset("jti"), setK8s("pod", nil), setK8s("node", nil))),
			want: jwtVerified(func(p *authn.Principal) {
				p.Credential.ID, p.Credential.Pod, p.Credential.Node = "", nil, nil
			}),
		},
		{
			name:  "bound to a secret",
			token: rsaJWT(t, jwtClaims(setK8s("secret", map[string]any{"name": "s", "uid": "secret-uid"}))),
			want:  jwtVerified(),
		},
		{
			name:  "forwarded subject of the same ServiceAccount is replaced by the Actor",
			token: valid,
			sofar: forwarded("system:serviceaccount:team-a:builder"),
			want:  jwtVerified(),
		},

		// Not the strategy's business.
		{name: "no token", want: authn.Skip("no bearer token")},
		{
			name:  "credential already verified",
			token: valid,
			sofar: authn.Principal{Credential: &authn.Credential{Type: "tokenreview"}},
			want:  authn.Skip("credential already verified"),
		},
		{name: "opaque token", token: "sha256~Zm9vYmFyYmF6cXV4", want: authn.Skip("not a JWT")},
		{name: "three parts, not JSON", token: "abc.def.ghi", want: authn.Skip("not a JWT")},
		{name: "four parts", token: valid + ".e30", want: authn.Skip("not a JWT")},
		{name: "payload not an object", token: rawJWT(`{"alg":"RS256"}`, `"x"`, "c2ln"), want: authn.Skip("not a JWT")},
		{name: "header null", token: rawJWT(`null`, `{"iss":"`+jwtIssuer+`"}`, "c2ln"), want: authn.Skip("not a JWT")},
		{name: "another issuer", token: rsaJWT(t, jwtClaims(set("iss", "https://oidc.example.com"))), want: authn.Skip("token for another issuer")},
		{name: "no issuer", token: rsaJWT(t, jwtClaims(unset("iss"))), want: authn.Skip("token for another issuer")},
		{
			name:  "another issuer with an unknown algorithm",
			token: rawJWT(`{"alg":"XY999"}`, `{"iss":"https://oidc.example.com"}`, "c2ln"),
			want:  authn.Skip("token for another issuer"),
		},
		{name: "legacy token without the Insecure option", token: legacy, want: authn.Skip("token for another issuer")},

		// Presented, and rejected.
		{
			name:  "bearer token too long",
			token: strings.Repeat("a", strategies.MaxTokenLength+1),
			want:  authn.Reject("bearer token is too long"),
		},
		{name: "expired", token: rsaJWT(t, jwtClaims(set("exp", now.Add(-time.Hour).Unix()))), want: authn.Reject("token has expired")},
		{name: "exp just within the skew", token: rsaJWT(t, jwtClaims(set("exp", now.Add(-skew+time.Second).Unix()))), want: jwtVerified(func(p *authn.Principal) {
			p.Credential.ExpiresAt = now.Add(-skew + time.Second)
		})},
		{name: "exp at the skew", token: rsaJWT(t, jwtClaims(set("exp", now.Add(-skew).Unix()))), want: authn.Reject("token has expired")},
		{name: "no exp", token: rsaJWT(t, jwtClaims(unset("exp"))), want: authn.Reject("token has no expiry")},
		{name: "not valid yet", token: rsaJWT(t, jwtClaims(set("nbf", now.Add(time.Hour).Unix()))), want: authn.Reject("token is not valid yet")},
		{name: "nbf at the skew", token: rsaJWT(t, jwtClaims(set("nbf", now.Add(skew).Unix()), set("iat", now.Unix()))), want: jwtVerified()},
		{name: "nbf past the skew", token: rsaJWT(t, jwtClaims(set("nbf", now.Add(skew+time.Second).Unix()), set("iat", now.Unix()))), want: authn.Reject("token is not valid yet")},
		{name: "iat at the skew", token: rsaJWT(t, jwtClaims(set("iat", now.Add(skew).Unix()))), want: jwtVerified()},
		{name: "iat in the future", token: rsaJWT(t, jwtClaims(set("iat", now.Add(skew+time.Second).Unix()))), want: authn.Reject("token was issued in the future")},
		{
			name:  "zero skew",
			token: rsaJWT(t, jwtClaims(set("iat", now.Add(time.Second).Unix()))),
			opts:  []strategies.JWTOption{strategies.WithClockSkew(0)},
			want:  authn.Reject("token was issued in the future"),
		},
		{name: "wrong audience", token: rsaJWT(t, jwtClaims(set("aud", []any{"vault", "https://kubernetes.default.svc"}))), want: authn.Reject("token audience not accepted")},
		{name: "no audience", token: rsaJWT(t, jwtClaims(unset("aud"))), want: authn.Reject("token has no audience")},
		{name: "empty audience list", token: rsaJWT(t, jwtClaims(set("aud", []any{}))), want: authn.Reject("token has no audience")},
		{
			name:  "alg none",
			token: mintJWT(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, rsaKID, jwtClaims()),
			want:  authn.Reject("token signature algorithm not accepted"),
		},
		{
			name:  "HMAC confusion: HS256 with the public key PEM as secret",
			token: mintJWT(t, jwt.SigningMethodHS256, pubPEM, rsaKID, jwtClaims()),
			want:  authn.Reject("token signature algorithm not accepted"),
		},
		{
			name:  "algorithm not configured",
			token: valid,
			opts:  []strategies.JWTOption{strategies.WithAlgorithms("ES256")},
			want:  authn.Reject("token signature algorithm not accepted"),
		},
		{
			name:  "unknown algorithm",
			token: rawJWT(`{"alg":"XY999","kid":"`+rsaKID+`"}`, `{"iss":"`+jwtIssuer+`"}`, "c2ln"),
			want:  authn.Reject("token signature algorithm not accepted"),
		},
		{
			// Published for RS256; see TestServiceAccountJWTKeyAlgorithm
			// for a key without "alg".
			name:  "ES256 header on an RSA key",
			token: mintJWT(t, jwt.SigningMethodES256, k.ec, rsaKID, jwtClaims()),
			want:  authn.Reject("token algorithm does not match its key"),
		},
		{
			name:  "tampered payload",
			token: tamper(t, valid, func(p string) string { return strings.Replace(p, "team-a:builder", "team-a:admin00", 1) }),
			want:  authn.Reject("token signature invalid"),
		},
		{
			name:  "tampered claim of another type",
			token: tamper(t, valid, func(p string) string { return strings.Replace(p, `"exp":`, `"exp":1`, 1) }),
			want:  authn.Reject("token signature invalid"),
		},
		{
			name:  "signed by another key under a known kid",
			token: mintJWT(t, jwt.SigningMethodRS256, k.rsa2, rsaKID, jwtClaims()),
			want:  authn.Reject("token signature invalid"),
		},
		{
			name:  "signature of another token",
			token: valid[:strings.LastIndexByte(valid, '.')] + ecJWT(t, jwtClaims())[strings.LastIndexByte(ecJWT(t, jwtClaims()), '.'):],
			want:  authn.Reject("token signature invalid"),
		},
		{
			name:  "signature not base64url",
			token: valid[:len(valid)-4] + "+/==",
			want:  authn.Reject("malformed token"),
		},
		{
			name:  "unknown kid",
			token: mintJWT(t, jwt.SigningMethodRS256, k.rsa2, kubeKID(t, &k.rsa2.PublicKey), jwtClaims()),
			want:  authn.Reject("token signed with an unknown key"),
		},
		{
			name:  "no kid with two keys",
			token: rsaJWT(t, jwtClaims(), map[string]any{"kid": nil}),
			want:  authn.Reject("token signed with an unknown key"),
		},
		{name: "kid not a string", token: rsaJWT(t, jwtClaims(), map[string]any{"kid": 7}), want: authn.Reject("token header kid is not a string")},
		{name: "critical header", token: rsaJWT(t, jwtClaims(), map[string]any{"crit": []any{"exp"}}), want: authn.Reject("token header has critical parameters")},
		{name: "claims of the wrong type", token: rsaJWT(t, jwtClaims(set("kubernetes.io", "team-a"))), want: authn.Reject("malformed token")},
		{name: "exp not a number", token: rsaJWT(t, jwtClaims(set("exp", "tomorrow"))), want: authn.Reject("malformed token")},
		{name: "no kubernetes.io claim", token: rsaJWT(t, jwtClaims(unset("kubernetes.io"))), want: authn.Reject("token lacks its kubernetes.io ServiceAccount claims")},
		{name: "no namespace", token: rsaJWT(t, jwtClaims(setK8s("namespace", nil))), want: authn.Reject("token lacks its kubernetes.io ServiceAccount claims")},
		{
			name:  "ServiceAccount without uid",
			token: rsaJWT(t, jwtClaims(setK8s("serviceaccount", map[string]any{"name": "builder"}))),
			want:  authn.Reject("token lacks its kubernetes.io ServiceAccount claims"),
		},
		{
			name:  "pod without uid",
			token: rsaJWT(t, jwtClaims(setK8s("pod", map[string]any{"name": "builder-7d9f"}))),
			want:  authn.Reject("token names a bound object without name and uid"),
		},

		// Bindings beyond Pod, Node and Secret fail closed (Kubernetes 1.37
		// binds tokens to webhook configurations, with attestations).
		{
			name: "token bound to a ValidatingWebhookConfiguration, refused by default",
			token: rsaJWT(t, jwtClaims(setK8s("pod", nil), setK8s("node", nil),
				setK8s("validatingwebhookconfiguration", map[string]any{"name": "policy", "uid": "vwc-uid-1"}),
				setK8s("attestations", map[string]any{"admissionReviewAPIGroups": []any{"apps"}}))),
			want: authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name:  "token bound to a MutatingWebhookConfiguration, refused by default",
			token: rsaJWT(t, jwtClaims(setK8s("pod", nil), setK8s("node", nil), setK8s("mutatingwebhookconfiguration", map[string]any{"name": "defaults", "uid": "mwc-uid-1"}))),
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name: "webhook-bound token accepted with the option, binding and attestations recorded",
			token: rsaJWT(t, jwtClaims(setK8s("pod", nil), setK8s("node", nil),
				setK8s("validatingwebhookconfiguration", map[string]any{"name": "policy", "uid": "vwc-uid-1"}),
				setK8s("attestations", map[string]any{"admissionReviewAPIGroups": []any{"apps"}}))),
			opts: []strategies.JWTOption{strategies.WithBoundObjectKinds(strategies.BoundValidatingWebhookConfiguration)},
			want: jwtVerified(func(p *authn.Principal) {
				p.Credential.Pod, p.Credential.Node = nil, nil
				p.Credential.Bindings = []authn.Binding{{
					Kind: "validatingwebhookconfiguration", Name: "policy", UID: "vwc-uid-1",
					Attestations: map[string][]string{"admissionReviewAPIGroups": {"apps"}},
				}}
			}),
		},
		{
			name:  "accepting one webhook kind accepts no other",
			token: rsaJWT(t, jwtClaims(setK8s("mutatingwebhookconfiguration", map[string]any{"name": "defaults", "uid": "mwc-uid-1"}))),
			opts:  []strategies.JWTOption{strategies.WithBoundObjectKinds(strategies.BoundValidatingWebhookConfiguration)},
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name:  "accepted kind without uid",
			token: rsaJWT(t, jwtClaims(setK8s("validatingwebhookconfiguration", map[string]any{"name": "policy"}))),
			opts:  []strategies.JWTOption{strategies.WithBoundObjectKinds(strategies.BoundValidatingWebhookConfiguration)},
			want:  authn.Reject("token names a bound object without name and uid"),
		},
		{
			name:  "accepted kind of the wrong type",
			token: rsaJWT(t, jwtClaims(setK8s("validatingwebhookconfiguration", "policy"))),
			opts:  []strategies.JWTOption{strategies.WithBoundObjectKinds(strategies.BoundValidatingWebhookConfiguration)},
			want:  authn.Reject("token names a bound object without name and uid"),
		},
		{
			name:  "unknown kubernetes.io key",
			token: rsaJWT(t, jwtClaims(setK8s("apiservice", map[string]any{"name": "v1.example.com", "uid": "as-uid-1"}))),
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name:  "unknown kubernetes.io key that is not an object",
			token: rsaJWT(t, jwtClaims(setK8s("scope", "everything"))),
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			// encoding/json would read "Pod" as "pod"; Kubernetes does.
			name:  "known key in another letter case",
			token: rsaJWT(t, jwtClaims(setK8s("pod", nil), setK8s("Pod", map[string]any{"name": "builder-7d9f", "uid": "pod-uid-1"}))),
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name:  "attestations without a binding",
			token: rsaJWT(t, jwtClaims(setK8s("attestations", map[string]any{"admissionReviewAPIGroups": []any{"*"}}))),
			want:  authn.Reject("token carries attestations without a binding this verifier accepts"),
		},
		{
			name:  "attestations without a binding, even with the option",
			token: rsaJWT(t, jwtClaims(setK8s("attestations", map[string]any{"admissionReviewAPIGroups": []any{"*"}}))),
			opts:  []strategies.JWTOption{strategies.WithBoundObjectKinds(strategies.BoundValidatingWebhookConfiguration)},
			want:  authn.Reject("token carries attestations without a binding this verifier accepts"),
		},
		{
			name:  "attestations of the wrong type",
			token: rsaJWT(t, jwtClaims(setK8s("attestations", []any{"apps"}))),
			want:  authn.Reject("malformed token"),
		},
		{
			name:  "warnafter is read by no one and refused by no one",
			token: rsaJWT(t, jwtClaims(setK8s("warnafter", now.Unix()))),
			want:  jwtVerified(),
		},
		{
			name:  "subject names another ServiceAccount",
			token: rsaJWT(t, jwtClaims(set("sub", "system:serviceaccount:team-a:admin"))),
			want:  authn.Reject("token subject does not match its ServiceAccount claims"),
		},
		{
			name:  "subject not a ServiceAccount",
			token: rsaJWT(t, jwtClaims(set("sub", "alice"))),
			want:  authn.Reject("token subject: " + authn.ErrSubjectParts.Error()),
		},
		{
			name:  "subject and claims agree on an invalid namespace",
			token: rsaJWT(t, jwtClaims(set("sub", "system:serviceaccount:Team-A:builder"), setK8s("namespace", "Team-A"))),
			want:  authn.Reject("token subject: " + authn.ErrSubjectNamespace.Error()),
		},
		{
			name:  "forwarded subject of another ServiceAccount",
			token: valid,
			sofar: forwarded("system:serviceaccount:other:builder"),
			want:  authn.Reject("forwarded ServiceAccount does not match the token's ServiceAccount"),
		},
		{
			name:  "forwarded human",
			token: valid,
			sofar: forwarded("alice"),
			want:  authn.Reject("forwarded user does not match the token's ServiceAccount"),
		},

		// Legacy Secret-based tokens.
		{
			name:  "legacy token with the Insecure option",
			token: legacy,
			opts:  insecureLegacy,
			want: authn.Contribute(authn.Principal{
				Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "builder", UID: "sa-uid-1"},
				Credential: &authn.Credential{
					Type: "jwt", Issuer: strategies.LegacyServiceAccountIssuer, LegacySecret: "builder-token-x7k2p",
				},
			}, "ServiceAccount token verified"),
		},
		{
			name:  "legacy token without secret name",
			token: rsaJWT(t, legacyClaims(unset("kubernetes.io/serviceaccount/secret.name"))),
			opts:  insecureLegacy,
			want:  authn.Reject("token lacks its kubernetes.io/serviceaccount claims"),
		},
		{
			name:  "legacy token whose subject disagrees",
			token: rsaJWT(t, legacyClaims(set("sub", "system:serviceaccount:kube-system:builder"))),
			opts:  insecureLegacy,
			want:  authn.Reject("token subject does not match its ServiceAccount claims"),
		},
		{
			name:  "legacy token that did expire",
			token: rsaJWT(t, legacyClaims(set("exp", now.Add(-time.Hour).Unix()))),
			opts:  insecureLegacy,
			want:  authn.Reject("token has expired"),
		},
		{
			name:  "legacy token claiming a binding",
			token: rsaJWT(t, legacyClaims(set("kubernetes.io", map[string]any{"secret": map[string]any{"name": "s", "uid": "u"}}))),
			opts:  insecureLegacy,
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name:  "bound token still verified with the Insecure option",
			token: valid,
			opts:  insecureLegacy,
			want:  jwtVerified(),
		},
	}
	keys := jwtStaticKeys(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cached := newJWT(t, keys, tt.opts...)
			uncached := newJWT(t, keys, append(tt.opts, strategies.WithJWTCacheTTL(0))...)
			// The cached strategy is asked twice: a miss, then a hit for
			// a token it verified.
			for i, s := range []*strategies.JWTStrategy{uncached, cached, cached} {
				got := s.Authenticate(bearerRequest(tt.token), tt.sofar)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("call %d: Authenticate (-want +got):\n%s", i, diff)
				}
				checkReasonHidesToken(t, got, tt.token)
			}
		})
	}
}

func TestServiceAccountJWTKeysUnavailable(t *testing.T) {
	cause := errors.New("API server unreachable")
	keys := jwtKeySetFunc(func(context.Context, string) (crypto.PublicKey, error) {
		return nil, errors.Join(strategies.ErrKeysUnavailable, cause)
	})
	s := newJWT(t, keys)
	got := s.Authenticate(bearerRequest(rsaJWT(t, jwtClaims())), authn.Principal{})
	if diff := cmp.Diff(authn.Fail("signing keys unavailable", nil), got, cmpopts.IgnoreFields(authn.Decision{}, "Cause")); diff != "" {
		t.Errorf("Authenticate (-want +got):\n%s", diff)
	}
	if !errors.Is(got.Cause, strategies.ErrKeysUnavailable) || !errors.Is(got.Cause, cause) {
		t.Errorf("Cause = %v, want ErrKeysUnavailable and the key set's error", got.Cause)
	}

	// A token of another issuer never reaches the key set.
	other := rsaJWT(t, jwtClaims(set("iss", "https://oidc.example.com")))
	if d := s.Authenticate(bearerRequest(other), authn.Principal{}); d.Outcome != authn.NotApplicable {
		t.Errorf("other issuer: %v, want not-applicable", d)
	}
}

// TestServiceAccountJWTKeyContext: the key set is asked with the request's
// context, so a refresh wait ends with the request.
func TestServiceAccountJWTKeyContext(t *testing.T) {
	type ctxKey struct{}
	var gotKID string
	var gotValue any
	k := jwtTestKeys()
	keys := jwtKeySetFunc(func(ctx context.Context, kid string) (crypto.PublicKey, error) {
		gotKID, gotValue = kid, ctx.Value(ctxKey{})
		return &k.rsa.PublicKey, nil
	})
	s := newJWT(t, keys)
	r := bearerRequest(rsaJWT(t, jwtClaims()))
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, "request"))
	if d := s.Authenticate(r, authn.Principal{}); d.Outcome != authn.Contributed {
		t.Fatalf("Authenticate = %v", d)
	}
	if gotKID != kubeKID(t, &k.rsa.PublicKey) || gotValue != "request" {
		t.Errorf("Key called with kid %q and context value %v", gotKID, gotValue)
	}
}

// jwksWithAlg is a JWKS of pubs under their Kubernetes kids, each with
// "alg" set to alg, or without "alg" when alg is "".
func jwksWithAlg(t testing.TB, alg string, pubs ...crypto.PublicKey) []byte {
	t.Helper()
	var set jose.JSONWebKeySet
	for _, pub := range pubs {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: kubeKID(t, pub), Algorithm: alg, Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServiceAccountJWTKeyAlgorithm: a JWK's "alg" binds the key to that
// algorithm (RFC 7517, section 4.4); a key without one, or a PEM key,
// verifies any accepted algorithm that suits it.
func TestServiceAccountJWTKeyAlgorithm(t *testing.T) {
	k := jwtTestKeys()
	rsaKID, ecKID := kubeKID(t, &k.rsa.PublicKey), kubeKID(t, &k.ec.PublicKey)
	rs256 := mintJWT(t, jwt.SigningMethodRS256, k.rsa, rsaKID, jwtClaims())
	ps256 := mintJWT(t, jwt.SigningMethodPS256, k.rsa, rsaKID, jwtClaims())
	ps256NoKID := mintJWT(t, jwt.SigningMethodPS256, k.rsa, "", jwtClaims())
	es256 := mintJWT(t, jwt.SigningMethodES256, k.ec, ecKID, jwtClaims())
	mismatch := authn.Reject("token algorithm does not match its key")
	static := func(data []byte) strategies.KeySet {
		keys, err := strategies.StaticKeySet(data)
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	rsaPS := []strategies.JWTOption{strategies.WithAlgorithms("RS256", "PS256")}

	tests := []struct {
		name  string
		keys  strategies.KeySet
		token string
		opts  []strategies.JWTOption
		want  authn.Decision
	}{
		{name: "alg RS256, RS256 token", keys: static(jwksWithAlg(t, "RS256", &k.rsa.PublicKey)), token: rs256, want: jwtVerified()},
		{name: "alg RS256, PS256 token", keys: static(jwksWithAlg(t, "RS256", &k.rsa.PublicKey)), token: ps256, want: mismatch},
		{name: "alg RS256, PS256 token without kid", keys: static(jwksWithAlg(t, "RS256", &k.rsa.PublicKey)), token: ps256NoKID, want: mismatch},
		{name: "alg PS256, PS256 token", keys: static(jwksWithAlg(t, "PS256", &k.rsa.PublicKey)), token: ps256, want: jwtVerified()},
		{name: "alg PS256, RS256 token", keys: static(jwksWithAlg(t, "PS256", &k.rsa.PublicKey)), token: rs256, want: mismatch},
		{name: "alg ES384, ES256 token", keys: static(jwksWithAlg(t, "ES384", &k.ec.PublicKey)), token: es256, want: mismatch},
		{
			// Accepted algorithms are checked first, and say why.
			name:  "alg PS256, PS256 not accepted",
			keys:  static(jwksWithAlg(t, "PS256", &k.rsa.PublicKey)),
			token: ps256,
			opts:  []strategies.JWTOption{strategies.WithAlgorithms("RS256")},
			want:  authn.Reject("token signature algorithm not accepted"),
		},
		{name: "no alg, RS256 token", keys: static(jwksWithAlg(t, "", &k.rsa.PublicKey)), token: rs256, opts: rsaPS, want: jwtVerified()},
		{name: "no alg, PS256 token", keys: static(jwksWithAlg(t, "", &k.rsa.PublicKey)), token: ps256, opts: rsaPS, want: jwtVerified()},
		{name: "no alg, PS256 token without kid", keys: static(jwksWithAlg(t, "", &k.rsa.PublicKey)), token: ps256NoKID, opts: rsaPS, want: jwtVerified()},
		{
			name:  "no alg, ES256 header on an RSA key",
			keys:  static(jwksWithAlg(t, "", &k.rsa.PublicKey)),
			token: mintJWT(t, jwt.SigningMethodES256, k.ec, rsaKID, jwtClaims()),
			want:  authn.Reject("token signature invalid"),
		},
		{name: "PEM key, PS256 token", keys: static(pkixPEM(t, &k.rsa.PublicKey)), token: ps256, opts: rsaPS, want: jwtVerified()},
		{
			// A KeySet of the user's own says nothing of algorithms.
			name: "user KeySet, PS256 token",
			keys: jwtKeySetFunc(func(context.Context, string) (crypto.PublicKey, error) {
				return &k.rsa.PublicKey, nil
			}),
			token: ps256,
			want:  jwtVerified(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cached := newJWT(t, tt.keys, tt.opts...)
			uncached := newJWT(t, tt.keys, append(tt.opts, strategies.WithJWTCacheTTL(0))...)
			for i, s := range []*strategies.JWTStrategy{uncached, cached, cached} {
				if diff := cmp.Diff(tt.want, s.Authenticate(bearerRequest(tt.token), authn.Principal{})); diff != "" {
					t.Errorf("call %d: Authenticate (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestServiceAccountJWTSingleKeyWithoutKID(t *testing.T) {
	k := jwtTestKeys()
	der, err := x509.MarshalPKIXPublicKey(&k.ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := strategies.StaticKeySet(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	s := newJWT(t, keys)
	for _, token := range []string{
		mintJWT(t, jwt.SigningMethodES256, k.ec, "", jwtClaims()),
		ecJWT(t, jwtClaims()), // the kid kube-apiserver would set
	} {
		if diff := cmp.Diff(jwtVerified(), s.Authenticate(bearerRequest(token), authn.Principal{})); diff != "" {
			t.Errorf("Authenticate (-want +got):\n%s", diff)
		}
	}
}

// TestServiceAccountJWTInChain: a token alone yields an Actor; the chain
// needs a later strategy to name the effective user.
func TestServiceAccountJWTInChain(t *testing.T) {
	s := newJWT(t, jwtStaticKeys(t))
	// Stands in for the strategy that finds the key's human, keeping the
	// rest of the Principal.
	creator := authn.StrategyFunc("creator", func(_ *http.Request, sofar authn.Principal) authn.Decision {
		if sofar.Actor == nil {
			return authn.Skip("no actor")
		}
		sofar.User = authn.User{Name: "alice"}
		return authn.Contribute(sofar, "creator")
	})
	chain, err := authn.NewChain(s, creator)
	if err != nil {
		t.Fatal(err)
	}
	p, trace, err := chain.Authenticate(bearerRequest(rsaJWT(t, jwtClaims())))
	if err != nil {
		t.Fatal(err)
	}
	want := jwtVerified().Principal
	want.User = authn.User{Name: "alice"}
	want.Via = []string{"jwt", "creator"}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Principal (-want +got):\n%s\ntrace: %v", diff, trace)
	}

	chain, err = authn.NewChain(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := chain.Authenticate(bearerRequest(rsaJWT(t, jwtClaims()))); !errors.Is(err, authn.ErrUnauthenticated) {
		t.Errorf("token alone: err = %v, want ErrUnauthenticated (no effective user)", err)
	}
	_, _, err = chain.Authenticate(bearerRequest(rsaJWT(t, jwtClaims(set("aud", "vault")))))
	if authn.StatusCode(err) != http.StatusUnauthorized || !errors.Is(err, authn.ErrRejected) {
		t.Errorf("wrong audience: err = %v, want a rejection", err)
	}
}

// switchableKeys is a KeySet whose answer a test changes, counting calls.
type switchableKeys struct {
	mu    sync.Mutex
	key   crypto.PublicKey
	err   error
	calls int
}

func (k *switchableKeys) Key(context.Context, string) (crypto.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	return k.key, k.err
}

func (k *switchableKeys) answer(key crypto.PublicKey, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.key, k.err = key, err
}

func (k *switchableKeys) callCount() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls
}

// TestServiceAccountJWTCache: a cached token is judged as a new one would
// be, against the key set of the moment and never past its exp.
func TestServiceAccountJWTCache(t *testing.T) {
	k := jwtTestKeys()
	clock := strategies.NewTestClockAt(jwtTestNow())
	keys := &switchableKeys{key: &k.rsa.PublicKey}
	s := newJWT(t, keys, strategies.WithJWTClock(clock.Now), strategies.WithJWTCacheTTL(10*time.Minute))
	exp := jwtTestNow().Add(2 * time.Minute)
	token := rsaJWT(t, jwtClaims(set("exp", exp.Unix())))
	verified := jwtVerified(func(p *authn.Principal) { p.Credential.ExpiresAt = exp })
	check := func(what string, want authn.Decision) {
		t.Helper()
		got := authenticate(s, token)
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(authn.Decision{}, "Cause")); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}

	check("miss", verified)
	before := keys.callCount()
	check("hit", verified)
	if n := keys.callCount() - before; n != 1 {
		t.Errorf("a hit asked the key set %d times, want once", n)
	}

	// A Principal's Credential is its own.
	d := authenticate(s, token)
	d.Principal.Credential.Audiences[0] = "changed"
	d.Principal.Credential.ID = "changed"
	d.Principal.Credential.Pod.Name = "changed"
	d.Principal.Actor.Name = "changed"
	check("hit after a caller changed its Credential", verified)

	keys.answer(nil, strategies.ErrUnknownKey)
	check("hit, key removed", authn.Reject("token signed with an unknown key"))
	keys.answer(nil, fmt.Errorf("%w: stale", strategies.ErrKeysUnavailable))
	check("hit, keys stale", authn.Fail("signing keys unavailable", nil))
	keys.answer(&k.rsa2.PublicKey, nil)
	check("hit, kid now names another key", authn.Reject("token signature invalid"))
	copied := k.rsa.PublicKey
	keys.answer(&copied, nil)
	check("hit, same key refetched", verified)

	// The entry ends at exp; past exp and the skew the token is expired.
	clock.Advance(2*time.Minute - time.Second)
	check("hit just before exp", verified)
	clock.Advance(time.Second + strategies.DefaultClockSkew)
	check("after exp and skew", authn.Reject("token has expired"))

	// Rejections are not cached: once the key set knows the kid, the
	// token verifies.
	clock = strategies.NewTestClockAt(jwtTestNow())
	keys = &switchableKeys{err: strategies.ErrUnknownKey}
	s = newJWT(t, keys, strategies.WithJWTClock(clock.Now))
	token = rsaJWT(t, jwtClaims())
	check("unknown kid", authn.Reject("token signed with an unknown key"))
	keys.answer(&k.rsa.PublicKey, nil)
	check("kid known now", jwtVerified())
}

func TestServiceAccountJWTConfig(t *testing.T) {
	keys := jwtStaticKeys(t)
	aud := strategies.WithAudiences(jwtAudience)
	tests := []struct {
		name    string
		issuer  string // "" for jwtIssuer, "-" for none
		nilKeys bool
		opts    []strategies.JWTOption
		wantErr string // "" for success
	}{
		{name: "minimal", opts: []strategies.JWTOption{aud}},
		{name: "no audience", wantErr: "no audience"},
		{name: "empty WithAudiences", opts: []strategies.JWTOption{strategies.WithAudiences()}, wantErr: "at least one audience"},
		{name: "empty audience", opts: []strategies.JWTOption{strategies.WithAudiences("")}, wantErr: "empty audience"},
		{name: "empty issuer", issuer: "-", opts: []strategies.JWTOption{aud}, wantErr: "issuer is empty"},
		{name: "legacy issuer", issuer: strategies.LegacyServiceAccountIssuer, opts: []strategies.JWTOption{aud}, wantErr: "legacy issuer"},
		{name: "nil keys", nilKeys: true, opts: []strategies.JWTOption{aud}, wantErr: "keys is nil"},
		{name: "nil option", opts: []strategies.JWTOption{aud, nil}, wantErr: "option 1 is nil"},
		{name: "alg none", opts: []strategies.JWTOption{aud, strategies.WithAlgorithms("RS256", "none")}, wantErr: `"none" is refused`},
		{name: "HS256", opts: []strategies.JWTOption{aud, strategies.WithAlgorithms("HS256")}, wantErr: `"HS256" is refused`},
		{name: "hs512", opts: []strategies.JWTOption{aud, strategies.WithAlgorithms("hs512")}, wantErr: `"hs512" is refused`},
		{name: "unknown algorithm", opts: []strategies.JWTOption{aud, strategies.WithAlgorithms("RS1")}, wantErr: "unsupported algorithm"},
		{name: "no algorithms", opts: []strategies.JWTOption{aud, strategies.WithAlgorithms()}, wantErr: "at least one algorithm"},
		{name: "PS512 and EdDSA", opts: []strategies.JWTOption{aud, strategies.WithAlgorithms("PS512", "EdDSA")}},
		{name: "negative skew", opts: []strategies.JWTOption{aud, strategies.WithClockSkew(-time.Second)}, wantErr: "WithClockSkew"},
		{name: "skew too large", opts: []strategies.JWTOption{aud, strategies.WithClockSkew(6 * time.Minute)}, wantErr: "WithClockSkew"},
		{name: "max skew", opts: []strategies.JWTOption{aud, strategies.WithClockSkew(strategies.MaxClockSkew)}},
		{name: "nil clock", opts: []strategies.JWTOption{aud, strategies.WithJWTClock(nil)}, wantErr: "WithJWTClock(nil)"},
		{name: "no cache", opts: []strategies.JWTOption{aud, strategies.WithJWTCacheTTL(0)}},
		{name: "negative cache TTL", opts: []strategies.JWTOption{aud, strategies.WithJWTCacheTTL(-time.Second)}, wantErr: "WithJWTCacheTTL"},
		{name: "cache size 0", opts: []strategies.JWTOption{aud, strategies.WithJWTCacheSize(0)}, wantErr: "WithJWTCacheSize(0)"},
		{name: "cache size 1", opts: []strategies.JWTOption{aud, strategies.WithJWTCacheSize(1)}},
		{name: "bound kinds", opts: []strategies.JWTOption{aud, strategies.WithBoundObjectKinds(strategies.BoundValidatingWebhookConfiguration, strategies.BoundMutatingWebhookConfiguration)}},
		{name: "no bound kind", opts: []strategies.JWTOption{aud, strategies.WithBoundObjectKinds()}, wantErr: "at least one kind"},
		{name: "bound kind with a dash", opts: []strategies.JWTOption{aud, strategies.WithBoundObjectKinds("validating-webhook")}, wantErr: "lower-case letters and digits"},
		{name: "bound kind the strategy reads", opts: []strategies.JWTOption{aud, strategies.WithBoundObjectKinds("attestations")}, wantErr: "read by the strategy itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := jwtIssuer
			switch tt.issuer {
			case "":
			case "-":
				issuer = ""
			default:
				issuer = tt.issuer
			}
			ks := keys
			if tt.nilKeys {
				ks = nil
			}
			s, err := strategies.ServiceAccountJWT(issuer, ks, tt.opts...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.wantErr == "":
				if s.Name() != "jwt" {
					t.Errorf("Name() = %q", s.Name())
				}
			case err == nil:
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			case !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestServiceAccountJWTAllocs holds the allocation counts written on the
// benchmarks.
func TestServiceAccountJWTAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are for full runs")
	}
	keys := jwtStaticKeys(t)
	cold, cached := newJWT(t, keys, strategies.WithJWTCacheTTL(0)), newJWT(t, keys)
	tests := []struct {
		name  string
		s     *strategies.JWTStrategy
		token string
		max   float64
	}{
		{"RS256 cold", cold, rsaJWT(t, jwtClaims()), 128},
		{"ES256 cold", cold, ecJWT(t, jwtClaims()), 140},
		{"RS256 cached", cached, rsaJWT(t, jwtClaims()), 5},
		{"opaque", cold, "sha256~Zm9vYmFyYmF6cXV4", 0},
	}
	for _, tt := range tests {
		if tt.s == cached && strategies.RaceDetectorOn() {
			// The race detector makes sync.Pool drop items at random,
			// and the cache pools its HMAC state.
			continue
		}
		r := bearerRequest(tt.token)
		tt.s.Authenticate(r, authn.Principal{}) // fills the cache
		n := testing.AllocsPerRun(50, func() { tt.s.Authenticate(r, authn.Principal{}) })
		if n > tt.max {
			t.Errorf("%s: %v allocs/op, want at most %v", tt.name, n, tt.max)
		}
	}
}

func benchJWT(b *testing.B, token string, opts ...strategies.JWTOption) {
	s := newJWT(b, jwtStaticKeys(b), opts...)
	r := bearerRequest(token)
	b.ReportAllocs()
	for b.Loop() {
		if d := s.Authenticate(r, authn.Principal{}); d.Outcome != authn.Contributed {
			b.Fatal(d)
		}
	}
}

// splitSigned returns the signing input and the decoded signature of token.
func splitSigned(b *testing.B, token string) (string, []byte) {
	i := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	return token[:i], sig
}

// BenchmarkJWTVerifyRS256Cold is a full verification of a kube-apiserver
// style RS256 token (2048-bit key) with a static key set and no cache:
// parse, key lookup, signature, claims, binding. Measured (go1.26, 2-core
// AMD EPYC, shared and busy): ~60-66 µs/op, 8.2 KB/op, 128 allocs/op; next
// to BenchmarkBareRSAVerifyPKCS1v15 that is ~25 µs and 118 allocs for
// golang-jwt's parse (a header map, NumericDate and aud decoding), the
// claim checks, and the exact-key decode of the kubernetes.io claim (31
// allocs), which lets an unknown binding be seen and refused.
func BenchmarkJWTVerifyRS256Cold(b *testing.B) {
	benchJWT(b, rsaJWT(b, jwtClaims()), strategies.WithJWTCacheTTL(0))
}

// BenchmarkJWTVerifyES256Cold is the same with ES256 (P-256). Measured:
// ~93-116 µs/op, 7.8 KB/op, 140 allocs/op (bare: ~76 µs, 20 allocs).
func BenchmarkJWTVerifyES256Cold(b *testing.B) {
	benchJWT(b, ecJWT(b, jwtClaims()), strategies.WithJWTCacheTTL(0))
}

// BenchmarkJWTCached is BenchmarkJWTVerifyRS256Cold's token served from the
// cache (the default): HMAC-SHA256 of the token, LRU lookup, the key set
// asked again for the kid, a copy of the Credential, binding. Measured:
// ~2.5 µs/op, 304 B/op, 5 allocs/op (the Credential, its audiences, pod
// and node copies, and the Actor): some 25 times cheaper than a cold
// RS256 verification.
func BenchmarkJWTCached(b *testing.B) { benchJWT(b, rsaJWT(b, jwtClaims())) }

// BenchmarkBareRSAVerifyPKCS1v15 is only SHA-256 and crypto/rsa on the
// signing input of BenchmarkJWTVerifyRS256Cold's token, the floor of a
// verification. Measured: ~34-36 µs/op, 2 KB/op, 10 allocs/op, a fifth of
// it crypto/rsa converting the public key on every call.
func BenchmarkBareRSAVerifyPKCS1v15(b *testing.B) {
	k := jwtTestKeys()
	signed, sig := splitSigned(b, rsaJWT(b, jwtClaims()))
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256([]byte(signed))
		if err := rsa.VerifyPKCS1v15(&k.rsa.PublicKey, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareECDSAVerify is only SHA-256 and crypto/ecdsa on the signing
// input of BenchmarkJWTVerifyES256Cold's token. Measured: ~76 µs/op,
// 1.8 KB/op, 20 allocs/op.
func BenchmarkBareECDSAVerify(b *testing.B) {
	k := jwtTestKeys()
	signed, sig := splitSigned(b, ecJWT(b, jwtClaims()))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256([]byte(signed))
		if !ecdsa.Verify(&k.ec.PublicKey, h[:], r, s) {
			b.Fatal("signature invalid")
		}
	}
}

// BenchmarkJWTOpaqueSkip is a token that is not a JWT, as for a TokenReview
// strategy later in the chain. Measured: ~50 ns/op, 0 B/op, 0 allocs/op.
func BenchmarkJWTOpaqueSkip(b *testing.B) {
	s := newJWT(b, jwtStaticKeys(b))
	r := bearerRequest("sha256~Zm9vYmFyYmF6cXV4")
	b.ReportAllocs()
	for b.Loop() {
		if d := s.Authenticate(r, authn.Principal{}); d.Outcome != authn.NotApplicable {
			b.Fatal(d)
		}
	}
}
