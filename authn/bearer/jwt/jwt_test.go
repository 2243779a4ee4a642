package jwt_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/internal/tokentest"
)

// jwtStaticKeys holds the keys tokentest.RSA and tokentest.EC sign with.
func jwtStaticKeys(t testing.TB) jwks.KeySet {
	t.Helper()
	keys, err := jwks.Static(tokentest.StaticJWKS(t))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func newJWT(t testing.TB, keys jwks.KeySet, opts ...jwt.Option) *jwt.Strategy {
	t.Helper()
	opts = append([]jwt.Option{
		jwt.WithAudiences(tokentest.Audience),
		jwt.WithClock(tokentest.Now),
	}, opts...)
	s, err := jwt.ServiceAccount(tokentest.Issuer, keys, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jwtKeySetFunc adapts a function to a KeySet.
type jwtKeySetFunc func(ctx context.Context, kid string) (crypto.PublicKey, error)

func (f jwtKeySetFunc) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	return f(ctx, kid)
}

func TestServiceAccountJWT(t *testing.T) {
	k := tokentest.Keys()
	now := tokentest.Now()
	skew := jwt.DefaultClockSkew
	rsaKID := tokentest.KubeKID(t, &k.RSA.PublicKey)
	pubPEM, err := x509.MarshalPKIXPublicKey(&k.RSA.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubPEM})
	valid := tokentest.RSA(t, tokentest.Claims())
	legacy := tokentest.RSA(t, tokentest.LegacyClaims())
	insecureLegacy := []jwt.Option{jwt.InsecureAcceptLegacySecretTokens()}
	forwarded := func(name string) authn.Principal { return authn.Principal{User: authn.User{Name: name}} }

	tests := []struct {
		name  string
		token string
		opts  []jwt.Option
		sofar authn.Principal
		want  authn.Decision
	}{
		// Verified.
		{name: "RS256", token: valid, want: tokentest.Verified()},
		{name: "ES256", token: tokentest.EC(t, tokentest.Claims()), want: tokentest.Verified()},
		{
			// The set publishes the RSA key with "alg":"RS256".
			name:  "PS256 with a key bound to RS256",
			token: tokentest.Mint(t, gojwt.SigningMethodPS256, k.RSA, rsaKID, tokentest.Claims()),
			want:  authn.Reject("token algorithm does not match its key"),
		},
		{
			name:  "aud as a single string",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("aud", tokentest.Audience))),
			want:  tokentest.Verified(),
		},
		{
			name:  "credential lists only the configured audiences the token names",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("aud", []any{"other", tokentest.Audience, "second", tokentest.Audience}))),
			opts:  []jwt.Option{jwt.WithAudiences("second", "unused")},
			want: tokentest.Verified(func(p *authn.Principal) {
				p.Credential.Audiences = []string{tokentest.Audience, "second"}
			}),
		},
		{
			name:  "no jti, pod or node",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.Unset("jti"), tokentest.SetK8s("pod", nil), tokentest.SetK8s("node", nil))),
			want: tokentest.Verified(func(p *authn.Principal) {
				p.Credential.ID, p.Credential.Pod, p.Credential.Node = "", nil, nil
			}),
		},
		{
			name:  "bound to a secret",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("secret", map[string]any{"name": "s", "uid": "secret-uid"}))),
			want:  tokentest.Verified(),
		},
		{
			name:  "forwarded subject of the same ServiceAccount is replaced by the Actor",
			token: valid,
			sofar: forwarded("system:serviceaccount:team-a:builder"),
			want:  tokentest.Verified(),
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
		{name: "payload not an object", token: tokentest.Raw(`{"alg":"RS256"}`, `"x"`, "c2ln"), want: authn.Skip("not a JWT")},
		{name: "header null", token: tokentest.Raw(`null`, `{"iss":"`+tokentest.Issuer+`"}`, "c2ln"), want: authn.Skip("not a JWT")},
		{name: "another issuer", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("iss", "https://oidc.example.com"))), want: authn.Skip("token for another issuer")},
		{name: "no issuer", token: tokentest.RSA(t, tokentest.Claims(tokentest.Unset("iss"))), want: authn.Skip("token for another issuer")},
		{
			name:  "another issuer with an unknown algorithm",
			token: tokentest.Raw(`{"alg":"XY999"}`, `{"iss":"https://oidc.example.com"}`, "c2ln"),
			want:  authn.Skip("token for another issuer"),
		},
		{name: "legacy token without the Insecure option", token: legacy, want: authn.Skip("token for another issuer")},

		// Presented, and rejected.
		{
			name:  "bearer token too long",
			token: strings.Repeat("a", bearer.MaxLength+1),
			want:  authn.Reject("bearer token is too long"),
		},
		{name: "expired", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("exp", now.Add(-time.Hour).Unix()))), want: authn.Reject("token has expired")},
		{name: "exp just within the skew", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("exp", now.Add(-skew+time.Second).Unix()))), want: tokentest.Verified(func(p *authn.Principal) {
			p.Credential.ExpiresAt = now.Add(-skew + time.Second)
		})},
		{name: "exp at the skew", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("exp", now.Add(-skew).Unix()))), want: authn.Reject("token has expired")},
		{name: "no exp", token: tokentest.RSA(t, tokentest.Claims(tokentest.Unset("exp"))), want: authn.Reject("token has no expiry")},
		{name: "not valid yet", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("nbf", now.Add(time.Hour).Unix()))), want: authn.Reject("token is not valid yet")},
		{name: "nbf at the skew", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("nbf", now.Add(skew).Unix()), tokentest.Set("iat", now.Unix()))), want: tokentest.Verified()},
		{name: "nbf past the skew", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("nbf", now.Add(skew+time.Second).Unix()), tokentest.Set("iat", now.Unix()))), want: authn.Reject("token is not valid yet")},
		{name: "iat at the skew", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("iat", now.Add(skew).Unix()))), want: tokentest.Verified()},
		{name: "iat in the future", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("iat", now.Add(skew+time.Second).Unix()))), want: authn.Reject("token was issued in the future")},
		{
			name:  "zero skew",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("iat", now.Add(time.Second).Unix()))),
			opts:  []jwt.Option{jwt.WithClockSkew(0)},
			want:  authn.Reject("token was issued in the future"),
		},
		{name: "wrong audience", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("aud", []any{"vault", "https://kubernetes.default.svc"}))), want: authn.Reject("token audience not accepted")},
		{name: "no audience", token: tokentest.RSA(t, tokentest.Claims(tokentest.Unset("aud"))), want: authn.Reject("token has no audience")},
		{name: "empty audience list", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("aud", []any{}))), want: authn.Reject("token has no audience")},
		{
			name:  "alg none",
			token: tokentest.Mint(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, rsaKID, tokentest.Claims()),
			want:  authn.Reject("token signature algorithm not accepted"),
		},
		{
			name:  "HMAC confusion: HS256 with the public key PEM as secret",
			token: tokentest.Mint(t, gojwt.SigningMethodHS256, pubPEM, rsaKID, tokentest.Claims()),
			want:  authn.Reject("token signature algorithm not accepted"),
		},
		{
			name:  "algorithm not configured",
			token: valid,
			opts:  []jwt.Option{jwt.WithAlgorithms("ES256")},
			want:  authn.Reject("token signature algorithm not accepted"),
		},
		{
			name:  "unknown algorithm",
			token: tokentest.Raw(`{"alg":"XY999","kid":"`+rsaKID+`"}`, `{"iss":"`+tokentest.Issuer+`"}`, "c2ln"),
			want:  authn.Reject("token signature algorithm not accepted"),
		},
		{
			// Published for RS256; see TestServiceAccountJWTKeyAlgorithm
			// for a key without "alg".
			name:  "ES256 header on an RSA key",
			token: tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, rsaKID, tokentest.Claims()),
			want:  authn.Reject("token algorithm does not match its key"),
		},
		{
			name:  "tampered payload",
			token: tokentest.Tamper(t, valid, func(p string) string { return strings.Replace(p, "team-a:builder", "team-a:admin00", 1) }),
			want:  authn.Reject("token signature invalid"),
		},
		{
			name:  "tampered claim of another type",
			token: tokentest.Tamper(t, valid, func(p string) string { return strings.Replace(p, `"exp":`, `"exp":1`, 1) }),
			want:  authn.Reject("token signature invalid"),
		},
		{
			name:  "signed by another key under a known kid",
			token: tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA2, rsaKID, tokentest.Claims()),
			want:  authn.Reject("token signature invalid"),
		},
		{
			name:  "signature of another token",
			token: valid[:strings.LastIndexByte(valid, '.')] + tokentest.EC(t, tokentest.Claims())[strings.LastIndexByte(tokentest.EC(t, tokentest.Claims()), '.'):],
			want:  authn.Reject("token signature invalid"),
		},
		{
			name:  "signature not base64url",
			token: valid[:len(valid)-4] + "+/==",
			want:  authn.Reject("malformed token"),
		},
		{
			name:  "unknown kid",
			token: tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA2, tokentest.KubeKID(t, &k.RSA2.PublicKey), tokentest.Claims()),
			want:  authn.Reject("token signed with an unknown key"),
		},
		{
			name:  "no kid with two keys",
			token: tokentest.RSA(t, tokentest.Claims(), map[string]any{"kid": nil}),
			want:  authn.Reject("token signed with an unknown key"),
		},
		{name: "kid not a string", token: tokentest.RSA(t, tokentest.Claims(), map[string]any{"kid": 7}), want: authn.Reject("token header kid is not a string")},
		{name: "critical header", token: tokentest.RSA(t, tokentest.Claims(), map[string]any{"crit": []any{"exp"}}), want: authn.Reject("token header has critical parameters")},
		{name: "claims of the wrong type", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("kubernetes.io", "team-a"))), want: authn.Reject("malformed token")},
		{name: "exp not a number", token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("exp", "tomorrow"))), want: authn.Reject("malformed token")},
		{name: "no kubernetes.io claim", token: tokentest.RSA(t, tokentest.Claims(tokentest.Unset("kubernetes.io"))), want: authn.Reject("token lacks its kubernetes.io ServiceAccount claims")},
		{name: "no namespace", token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("namespace", nil))), want: authn.Reject("token lacks its kubernetes.io ServiceAccount claims")},
		{
			name:  "ServiceAccount without uid",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("serviceaccount", map[string]any{"name": "builder"}))),
			want:  authn.Reject("token lacks its kubernetes.io ServiceAccount claims"),
		},
		{
			name:  "pod without uid",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("pod", map[string]any{"name": "builder-7d9f"}))),
			want:  authn.Reject("token names a bound object without name and uid"),
		},

		// Bindings beyond Pod, Node and Secret fail closed (Kubernetes 1.37
		// binds tokens to webhook configurations, with attestations).
		{
			name: "token bound to a ValidatingWebhookConfiguration, refused by default",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("pod", nil), tokentest.SetK8s("node", nil),
				tokentest.SetK8s("validatingwebhookconfiguration", map[string]any{"name": "policy", "uid": "vwc-uid-1"}),
				tokentest.SetK8s("attestations", map[string]any{"admissionReviewAPIGroups": []any{"apps"}}))),
			want: authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name:  "token bound to a MutatingWebhookConfiguration, refused by default",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("pod", nil), tokentest.SetK8s("node", nil), tokentest.SetK8s("mutatingwebhookconfiguration", map[string]any{"name": "defaults", "uid": "mwc-uid-1"}))),
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name: "webhook-bound token accepted with the option, binding and attestations recorded",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("pod", nil), tokentest.SetK8s("node", nil),
				tokentest.SetK8s("validatingwebhookconfiguration", map[string]any{"name": "policy", "uid": "vwc-uid-1"}),
				tokentest.SetK8s("attestations", map[string]any{"admissionReviewAPIGroups": []any{"apps"}}))),
			opts: []jwt.Option{jwt.WithBoundObjectKinds(bearer.BoundValidatingWebhookConfiguration)},
			want: tokentest.Verified(func(p *authn.Principal) {
				p.Credential.Pod, p.Credential.Node = nil, nil
				p.Credential.Bindings = []authn.Binding{{
					Kind: "validatingwebhookconfiguration", Name: "policy", UID: "vwc-uid-1",
					Attestations: map[string][]string{"admissionReviewAPIGroups": {"apps"}},
				}}
			}),
		},
		{
			name:  "accepting one webhook kind accepts no other",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("mutatingwebhookconfiguration", map[string]any{"name": "defaults", "uid": "mwc-uid-1"}))),
			opts:  []jwt.Option{jwt.WithBoundObjectKinds(bearer.BoundValidatingWebhookConfiguration)},
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name:  "accepted kind without uid",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("validatingwebhookconfiguration", map[string]any{"name": "policy"}))),
			opts:  []jwt.Option{jwt.WithBoundObjectKinds(bearer.BoundValidatingWebhookConfiguration)},
			want:  authn.Reject("token names a bound object without name and uid"),
		},
		{
			name:  "accepted kind of the wrong type",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("validatingwebhookconfiguration", "policy"))),
			opts:  []jwt.Option{jwt.WithBoundObjectKinds(bearer.BoundValidatingWebhookConfiguration)},
			want:  authn.Reject("token names a bound object without name and uid"),
		},
		{
			name:  "unknown kubernetes.io key",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("apiservice", map[string]any{"name": "v1.example.com", "uid": "as-uid-1"}))),
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name:  "unknown kubernetes.io key that is not an object",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("scope", "everything"))),
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			// encoding/json would read "Pod" as "pod"; Kubernetes does.
			name:  "known key in another letter case",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("pod", nil), tokentest.SetK8s("Pod", map[string]any{"name": "builder-7d9f", "uid": "pod-uid-1"}))),
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name:  "attestations without a binding",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("attestations", map[string]any{"admissionReviewAPIGroups": []any{"*"}}))),
			want:  authn.Reject("token carries attestations without a binding this verifier accepts"),
		},
		{
			name:  "attestations without a binding, even with the option",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("attestations", map[string]any{"admissionReviewAPIGroups": []any{"*"}}))),
			opts:  []jwt.Option{jwt.WithBoundObjectKinds(bearer.BoundValidatingWebhookConfiguration)},
			want:  authn.Reject("token carries attestations without a binding this verifier accepts"),
		},
		{
			name:  "attestations of the wrong type",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("attestations", []any{"apps"}))),
			want:  authn.Reject("malformed token"),
		},
		{
			name:  "warnafter is read by no one and refused by no one",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("warnafter", now.Unix()))),
			want:  tokentest.Verified(),
		},
		{
			name:  "subject names another ServiceAccount",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("sub", "system:serviceaccount:team-a:admin"))),
			want:  authn.Reject("token subject does not match its ServiceAccount claims"),
		},
		{
			name:  "subject not a ServiceAccount",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("sub", "alice"))),
			want:  authn.Reject("token subject: " + authn.ErrSubjectParts.Error()),
		},
		{
			name:  "subject and claims agree on an invalid namespace",
			token: tokentest.RSA(t, tokentest.Claims(tokentest.Set("sub", "system:serviceaccount:Team-A:builder"), tokentest.SetK8s("namespace", "Team-A"))),
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
					Type: "jwt", Issuer: jwt.LegacyServiceAccountIssuer, LegacySecret: "builder-token-x7k2p",
				},
			}, "ServiceAccount token verified"),
		},
		{
			name:  "legacy token without secret name",
			token: tokentest.RSA(t, tokentest.LegacyClaims(tokentest.Unset("kubernetes.io/serviceaccount/secret.name"))),
			opts:  insecureLegacy,
			want:  authn.Reject("token lacks its kubernetes.io/serviceaccount claims"),
		},
		{
			name:  "legacy token whose subject disagrees",
			token: tokentest.RSA(t, tokentest.LegacyClaims(tokentest.Set("sub", "system:serviceaccount:kube-system:builder"))),
			opts:  insecureLegacy,
			want:  authn.Reject("token subject does not match its ServiceAccount claims"),
		},
		{
			name:  "legacy token that did expire",
			token: tokentest.RSA(t, tokentest.LegacyClaims(tokentest.Set("exp", now.Add(-time.Hour).Unix()))),
			opts:  insecureLegacy,
			want:  authn.Reject("token has expired"),
		},
		{
			name:  "legacy token claiming a binding",
			token: tokentest.RSA(t, tokentest.LegacyClaims(tokentest.Set("kubernetes.io", map[string]any{"secret": map[string]any{"name": "s", "uid": "u"}}))),
			opts:  insecureLegacy,
			want:  authn.Reject("token bound to an object kind this verifier does not check"),
		},
		{
			name:  "bound token still verified with the Insecure option",
			token: valid,
			opts:  insecureLegacy,
			want:  tokentest.Verified(),
		},
	}
	keys := jwtStaticKeys(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cached := newJWT(t, keys, tt.opts...)
			uncached := newJWT(t, keys, append(tt.opts, jwt.WithCacheTTL(0))...)
			// The cached strategy is asked twice: a miss, then a hit for
			// a token it verified.
			for i, s := range []*jwt.Strategy{uncached, cached, cached} {
				got := s.Authenticate(tokentest.Request(tt.token), tt.sofar)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("call %d: Authenticate (-want +got):\n%s", i, diff)
				}
				tokentest.CheckReasonHidesToken(t, got, tt.token)
			}
		})
	}
}

func TestServiceAccountJWTKeysUnavailable(t *testing.T) {
	cause := errors.New("API server unreachable")
	keys := jwtKeySetFunc(func(context.Context, string) (crypto.PublicKey, error) {
		return nil, errors.Join(jwks.ErrKeysUnavailable, cause)
	})
	s := newJWT(t, keys)
	got := s.Authenticate(tokentest.Request(tokentest.RSA(t, tokentest.Claims())), authn.Principal{})
	if diff := cmp.Diff(authn.Fail("signing keys unavailable", nil), got, cmpopts.IgnoreFields(authn.Decision{}, "Cause")); diff != "" {
		t.Errorf("Authenticate (-want +got):\n%s", diff)
	}
	if !errors.Is(got.Cause, jwks.ErrKeysUnavailable) || !errors.Is(got.Cause, cause) {
		t.Errorf("Cause = %v, want ErrKeysUnavailable and the key set's error", got.Cause)
	}

	// A token of another issuer never reaches the key set.
	other := tokentest.RSA(t, tokentest.Claims(tokentest.Set("iss", "https://oidc.example.com")))
	if d := s.Authenticate(tokentest.Request(other), authn.Principal{}); d.Outcome != authn.NotApplicable {
		t.Errorf("other issuer: %v, want not-applicable", d)
	}
}

// TestServiceAccountJWTKeyContext: the key set is asked with the request's
// context, so a refresh wait ends with the request.
func TestServiceAccountJWTKeyContext(t *testing.T) {
	type ctxKey struct{}
	var gotKID string
	var gotValue any
	k := tokentest.Keys()
	keys := jwtKeySetFunc(func(ctx context.Context, kid string) (crypto.PublicKey, error) {
		gotKID, gotValue = kid, ctx.Value(ctxKey{})
		return &k.RSA.PublicKey, nil
	})
	s := newJWT(t, keys)
	r := tokentest.Request(tokentest.RSA(t, tokentest.Claims()))
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, "request"))
	if d := s.Authenticate(r, authn.Principal{}); d.Outcome != authn.Contributed {
		t.Fatalf("Authenticate = %v", d)
	}
	if gotKID != tokentest.KubeKID(t, &k.RSA.PublicKey) || gotValue != "request" {
		t.Errorf("Key called with kid %q and context value %v", gotKID, gotValue)
	}
}

// TestServiceAccountJWTKeyAlgorithm: a JWK's "alg" binds the key to that
// algorithm (RFC 7517, section 4.4); a key without one, or a PEM key,
// verifies any accepted algorithm that suits it.
func TestServiceAccountJWTKeyAlgorithm(t *testing.T) {
	k := tokentest.Keys()
	rsaKID, ecKID := tokentest.KubeKID(t, &k.RSA.PublicKey), tokentest.KubeKID(t, &k.EC.PublicKey)
	rs256 := tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, rsaKID, tokentest.Claims())
	ps256 := tokentest.Mint(t, gojwt.SigningMethodPS256, k.RSA, rsaKID, tokentest.Claims())
	ps256NoKID := tokentest.Mint(t, gojwt.SigningMethodPS256, k.RSA, "", tokentest.Claims())
	es256 := tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, ecKID, tokentest.Claims())
	mismatch := authn.Reject("token algorithm does not match its key")
	static := func(data []byte) jwks.KeySet {
		keys, err := jwks.Static(data)
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	rsaPS := []jwt.Option{jwt.WithAlgorithms("RS256", "PS256")}

	tests := []struct {
		name  string
		keys  jwks.KeySet
		token string
		opts  []jwt.Option
		want  authn.Decision
	}{
		{name: "alg RS256, RS256 token", keys: static(tokentest.JWKSWithAlg(t, "RS256", &k.RSA.PublicKey)), token: rs256, want: tokentest.Verified()},
		{name: "alg RS256, PS256 token", keys: static(tokentest.JWKSWithAlg(t, "RS256", &k.RSA.PublicKey)), token: ps256, want: mismatch},
		{name: "alg RS256, PS256 token without kid", keys: static(tokentest.JWKSWithAlg(t, "RS256", &k.RSA.PublicKey)), token: ps256NoKID, want: mismatch},
		{name: "alg PS256, PS256 token", keys: static(tokentest.JWKSWithAlg(t, "PS256", &k.RSA.PublicKey)), token: ps256, want: tokentest.Verified()},
		{name: "alg PS256, RS256 token", keys: static(tokentest.JWKSWithAlg(t, "PS256", &k.RSA.PublicKey)), token: rs256, want: mismatch},
		{name: "alg ES384, ES256 token", keys: static(tokentest.JWKSWithAlg(t, "ES384", &k.EC.PublicKey)), token: es256, want: mismatch},
		{
			// Accepted algorithms are checked first, and say why.
			name:  "alg PS256, PS256 not accepted",
			keys:  static(tokentest.JWKSWithAlg(t, "PS256", &k.RSA.PublicKey)),
			token: ps256,
			opts:  []jwt.Option{jwt.WithAlgorithms("RS256")},
			want:  authn.Reject("token signature algorithm not accepted"),
		},
		{name: "no alg, RS256 token", keys: static(tokentest.JWKSWithAlg(t, "", &k.RSA.PublicKey)), token: rs256, opts: rsaPS, want: tokentest.Verified()},
		{name: "no alg, PS256 token", keys: static(tokentest.JWKSWithAlg(t, "", &k.RSA.PublicKey)), token: ps256, opts: rsaPS, want: tokentest.Verified()},
		{name: "no alg, PS256 token without kid", keys: static(tokentest.JWKSWithAlg(t, "", &k.RSA.PublicKey)), token: ps256NoKID, opts: rsaPS, want: tokentest.Verified()},
		{
			name:  "no alg, ES256 header on an RSA key",
			keys:  static(tokentest.JWKSWithAlg(t, "", &k.RSA.PublicKey)),
			token: tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, rsaKID, tokentest.Claims()),
			want:  authn.Reject("token signature invalid"),
		},
		{name: "PEM key, PS256 token", keys: static(tokentest.PKIXPEM(t, &k.RSA.PublicKey)), token: ps256, opts: rsaPS, want: tokentest.Verified()},
		{
			// A KeySet of the user's own says nothing of algorithms.
			name: "user KeySet, PS256 token",
			keys: jwtKeySetFunc(func(context.Context, string) (crypto.PublicKey, error) {
				return &k.RSA.PublicKey, nil
			}),
			token: ps256,
			want:  tokentest.Verified(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cached := newJWT(t, tt.keys, tt.opts...)
			uncached := newJWT(t, tt.keys, append(tt.opts, jwt.WithCacheTTL(0))...)
			for i, s := range []*jwt.Strategy{uncached, cached, cached} {
				if diff := cmp.Diff(tt.want, s.Authenticate(tokentest.Request(tt.token), authn.Principal{})); diff != "" {
					t.Errorf("call %d: Authenticate (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestServiceAccountJWTSingleKeyWithoutKID(t *testing.T) {
	k := tokentest.Keys()
	der, err := x509.MarshalPKIXPublicKey(&k.EC.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := jwks.Static(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	s := newJWT(t, keys)
	for _, token := range []string{
		tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, "", tokentest.Claims()),
		tokentest.EC(t, tokentest.Claims()), // the kid kube-apiserver would set
	} {
		if diff := cmp.Diff(tokentest.Verified(), s.Authenticate(tokentest.Request(token), authn.Principal{})); diff != "" {
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
	p, trace, err := chain.Authenticate(tokentest.Request(tokentest.RSA(t, tokentest.Claims())))
	if err != nil {
		t.Fatal(err)
	}
	want := tokentest.Verified().Principal
	want.User = authn.User{Name: "alice"}
	want.Via = []string{"jwt", "creator"}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Principal (-want +got):\n%s\ntrace: %v", diff, trace)
	}

	chain, err = authn.NewChain(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := chain.Authenticate(tokentest.Request(tokentest.RSA(t, tokentest.Claims()))); !errors.Is(err, authn.ErrUnauthenticated) {
		t.Errorf("token alone: err = %v, want ErrUnauthenticated (no effective user)", err)
	}
	_, _, err = chain.Authenticate(tokentest.Request(tokentest.RSA(t, tokentest.Claims(tokentest.Set("aud", "vault")))))
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
	k := tokentest.Keys()
	clock := tokentest.NewClockAt(tokentest.Now())
	keys := &switchableKeys{key: &k.RSA.PublicKey}
	s := newJWT(t, keys, jwt.WithClock(clock.Now), jwt.WithCacheTTL(10*time.Minute))
	exp := tokentest.Now().Add(2 * time.Minute)
	token := tokentest.RSA(t, tokentest.Claims(tokentest.Set("exp", exp.Unix())))
	verified := tokentest.Verified(func(p *authn.Principal) { p.Credential.ExpiresAt = exp })
	check := func(what string, want authn.Decision) {
		t.Helper()
		got := tokentest.Authenticate(s, token)
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
	d := tokentest.Authenticate(s, token)
	d.Principal.Credential.Audiences[0] = "changed"
	d.Principal.Credential.ID = "changed"
	d.Principal.Credential.Pod.Name = "changed"
	d.Principal.Actor.Name = "changed"
	check("hit after a caller changed its Credential", verified)

	keys.answer(nil, jwks.ErrUnknownKey)
	check("hit, key removed", authn.Reject("token signed with an unknown key"))
	keys.answer(nil, fmt.Errorf("%w: stale", jwks.ErrKeysUnavailable))
	check("hit, keys stale", authn.Fail("signing keys unavailable", nil))
	keys.answer(&k.RSA2.PublicKey, nil)
	check("hit, kid now names another key", authn.Reject("token signature invalid"))
	copied := k.RSA.PublicKey
	keys.answer(&copied, nil)
	check("hit, same key refetched", verified)

	// The entry ends at exp; past exp and the skew the token is expired.
	clock.Advance(2*time.Minute - time.Second)
	check("hit just before exp", verified)
	clock.Advance(time.Second + jwt.DefaultClockSkew)
	check("after exp and skew", authn.Reject("token has expired"))

	// A rejection for an unknown kid is not cached: once the key set knows the kid, the
	// token verifies.
	clock = tokentest.NewClockAt(tokentest.Now())
	keys = &switchableKeys{err: jwks.ErrUnknownKey}
	s = newJWT(t, keys, jwt.WithClock(clock.Now))
	token = tokentest.RSA(t, tokentest.Claims())
	check("unknown kid", authn.Reject("token signed with an unknown key"))
	keys.answer(&k.RSA.PublicKey, nil)
	check("kid known now", tokentest.Verified())
}

func TestServiceAccountJWTConfig(t *testing.T) {
	keys := jwtStaticKeys(t)
	aud := jwt.WithAudiences(tokentest.Audience)
	tests := []struct {
		name    string
		issuer  string // "" for tokentest.Issuer, "-" for none
		nilKeys bool
		opts    []jwt.Option
		wantErr string // "" for success
	}{
		{name: "minimal", opts: []jwt.Option{aud}},
		{name: "no audience", wantErr: "no audience"},
		{name: "empty WithAudiences", opts: []jwt.Option{jwt.WithAudiences()}, wantErr: "at least one audience"},
		{name: "empty audience", opts: []jwt.Option{jwt.WithAudiences("")}, wantErr: "empty audience"},
		{name: "empty issuer", issuer: "-", opts: []jwt.Option{aud}, wantErr: "issuer is empty"},
		{name: "legacy issuer", issuer: jwt.LegacyServiceAccountIssuer, opts: []jwt.Option{aud}, wantErr: "legacy issuer"},
		{name: "nil keys", nilKeys: true, opts: []jwt.Option{aud}, wantErr: "keys is nil"},
		{name: "nil option", opts: []jwt.Option{aud, nil}, wantErr: "option 1 is nil"},
		{name: "alg none", opts: []jwt.Option{aud, jwt.WithAlgorithms("RS256", "none")}, wantErr: `"none" is refused`},
		{name: "HS256", opts: []jwt.Option{aud, jwt.WithAlgorithms("HS256")}, wantErr: `"HS256" is refused`},
		{name: "hs512", opts: []jwt.Option{aud, jwt.WithAlgorithms("hs512")}, wantErr: `"hs512" is refused`},
		{name: "unknown algorithm", opts: []jwt.Option{aud, jwt.WithAlgorithms("RS1")}, wantErr: "unsupported algorithm"},
		{name: "no algorithms", opts: []jwt.Option{aud, jwt.WithAlgorithms()}, wantErr: "at least one algorithm"},
		{name: "PS512 and EdDSA", opts: []jwt.Option{aud, jwt.WithAlgorithms("PS512", "EdDSA")}},
		{name: "negative skew", opts: []jwt.Option{aud, jwt.WithClockSkew(-time.Second)}, wantErr: "WithClockSkew"},
		{name: "skew too large", opts: []jwt.Option{aud, jwt.WithClockSkew(6 * time.Minute)}, wantErr: "WithClockSkew"},
		{name: "max skew", opts: []jwt.Option{aud, jwt.WithClockSkew(jwt.MaxClockSkew)}},
		{name: "nil clock", opts: []jwt.Option{aud, jwt.WithClock(nil)}, wantErr: "WithClock(nil)"},
		{name: "no cache", opts: []jwt.Option{aud, jwt.WithCacheTTL(0)}},
		{name: "negative cache TTL", opts: []jwt.Option{aud, jwt.WithCacheTTL(-time.Second)}, wantErr: "WithCacheTTL"},
		{name: "cache size 0", opts: []jwt.Option{aud, jwt.WithCacheSize(0)}, wantErr: "WithCacheSize(0)"},
		{name: "cache size 1", opts: []jwt.Option{aud, jwt.WithCacheSize(1)}},
		{name: "cache observer", opts: []jwt.Option{aud, jwt.WithCacheObserver(&cacheCounts{})}},
		{name: "nil cache observer", opts: []jwt.Option{aud, jwt.WithCacheObserver(nil)}, wantErr: "WithCacheObserver(nil)"},
		{name: "nil pointer cache observer", opts: []jwt.Option{aud, jwt.WithCacheObserver((*cacheCounts)(nil))}, wantErr: "WithCacheObserver(nil)"},
		{name: "bound kinds", opts: []jwt.Option{aud, jwt.WithBoundObjectKinds(bearer.BoundValidatingWebhookConfiguration, bearer.BoundMutatingWebhookConfiguration)}},
		{name: "no bound kind", opts: []jwt.Option{aud, jwt.WithBoundObjectKinds()}, wantErr: "at least one kind"},
		{name: "bound kind with a dash", opts: []jwt.Option{aud, jwt.WithBoundObjectKinds("validating-webhook")}, wantErr: "lower-case letters and digits"},
		{name: "bound kind the strategy reads", opts: []jwt.Option{aud, jwt.WithBoundObjectKinds("attestations")}, wantErr: "read by the strategy itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := tokentest.Issuer
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
			s, err := jwt.ServiceAccount(issuer, ks, tt.opts...)
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

// TestJWTCachedHitsDoNotShareState: a handler editing its Principal (the
// Actor, the Credential, its audiences, pod and node) must not change what
// the next request with the same cached token gets.
func TestJWTCachedHitsDoNotShareState(t *testing.T) {
	s := newJWT(t, jwtStaticKeys(t))
	r := tokentest.Request(tokentest.RSA(t, tokentest.Claims()))
	first := s.Authenticate(r, authn.Principal{})
	p := first.Principal
	if first.Outcome != authn.Contributed || p.Actor == nil || p.Credential == nil ||
		len(p.Credential.Audiences) == 0 || p.Credential.Pod == nil || p.Credential.Node == nil {
		t.Fatalf("first request: %+v", first)
	}
	// Deep copies taken before the edits: pointers into shared memory
	// would see them too.
	wantActor, wantCred := *p.Actor, p.Credential.Clone()
	p.Actor.Name, p.Actor.UID = "edited", "edited"
	p.Credential.ID = "edited"
	p.Credential.Audiences[0] = "edited-by-a-handler"
	p.Credential.Pod.Name, p.Credential.Node.UID = "edited", "edited"
	second := s.Authenticate(r, authn.Principal{}).Principal
	if diff := cmp.Diff(&wantActor, second.Actor); diff != "" {
		t.Errorf("second hit sees the first request's edit of the Actor (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantCred, second.Credential); diff != "" {
		t.Errorf("second hit sees the first request's edit of the Credential (-want +got):\n%s", diff)
	}
}

// TestServiceAccountJWTAllocs holds the allocation counts written on the
// benchmarks.
func TestServiceAccountJWTAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are for full runs")
	}
	keys := jwtStaticKeys(t)
	cold, cached := newJWT(t, keys, jwt.WithCacheTTL(0)), newJWT(t, keys)
	tests := []struct {
		name  string
		s     *jwt.Strategy
		token string
		max   float64
	}{
		// Cold counts are mostly the claims' strings and objects, the
		// Credential and crypto/rsa's or crypto/ecdsa's own (10 and 20).
		{"RS256 cold", cold, tokentest.RSA(t, tokentest.Claims()), 38},
		{"ES256 cold", cold, tokentest.EC(t, tokentest.Claims()), 50},
		{"RS256 cached", cached, tokentest.RSA(t, tokentest.Claims()), 1},
		{"opaque", cold, "sha256~Zm9vYmFyYmF6cXV4", 0},
	}
	for _, tt := range tests {
		if tt.s == cached && tokentest.RaceDetectorOn() {
			// The race detector makes sync.Pool drop items at random,
			// and the cache pools its MAC state.
			continue
		}
		r := tokentest.Request(tt.token)
		tt.s.Authenticate(r, authn.Principal{}) // fills the cache
		n := testing.AllocsPerRun(50, func() { tt.s.Authenticate(r, authn.Principal{}) })
		if n > tt.max {
			t.Errorf("%s: %v allocs/op, want at most %v", tt.name, n, tt.max)
		}
	}
}

func benchJWT(b *testing.B, token string, opts ...jwt.Option) {
	s := newJWT(b, jwtStaticKeys(b), opts...)
	r := tokentest.Request(token)
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
// shared machine, busy): 2.6 KB/op, 38 allocs/op, of which crypto/rsa's
// own 10; BenchmarkJWTColdOverBare gives the time as a ratio to the bare
// signature check, which a busy machine cannot give from two benchmarks
// run one after the other. The segments are decoded once, into a pooled
// buffer, the header and claims are read without reflection in one pass
// that also checks their syntax and judges the registered names, and the
// signing input is hashed where it lies in that buffer.
func BenchmarkJWTVerifyRS256Cold(b *testing.B) {
	benchJWT(b, tokentest.RSA(b, tokentest.Claims()), jwt.WithCacheTTL(0))
}

// BenchmarkJWTVerifyES256Cold is the same with ES256 (P-256). Measured:
// 2.5 KB/op, 50 allocs/op (bare: 20 allocs).
func BenchmarkJWTVerifyES256Cold(b *testing.B) {
	benchJWT(b, tokentest.EC(b, tokentest.Claims()), jwt.WithCacheTTL(0))
}

// BenchmarkJWTCached is BenchmarkJWTVerifyRS256Cold's token served from the
// cache (the default): the keyed MAC of the token, LRU lookup, the key set
// asked again for the kid, a copy of the Credential, binding. Measured:
// 288 B/op, 1 allocs/op (the Actor, the Credential, its audience, pod and
// node, in one block); half the time of the HMAC-SHA256 key and five
// allocations it replaced (interleaved, six runs each: 0.96 µs against
// 1.91 µs).
func BenchmarkJWTCached(b *testing.B) { benchJWT(b, tokentest.RSA(b, tokentest.Claims())) }

// BenchmarkBareRSAVerifyPKCS1v15 is only SHA-256 and crypto/rsa on the
// signing input of BenchmarkJWTVerifyRS256Cold's token, the floor of a
// verification. Measured: ~34-36 µs/op, 2 KB/op, 10 allocs/op, a fifth of
// it crypto/rsa converting the public key on every call.
func BenchmarkBareRSAVerifyPKCS1v15(b *testing.B) {
	k := tokentest.Keys()
	signed, sig := splitSigned(b, tokentest.RSA(b, tokentest.Claims()))
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256([]byte(signed))
		if err := rsa.VerifyPKCS1v15(&k.RSA.PublicKey, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareECDSAVerify is only SHA-256 and crypto/ecdsa on the signing
// input of BenchmarkJWTVerifyES256Cold's token. Measured: ~76 µs/op,
// 1.8 KB/op, 20 allocs/op.
func BenchmarkBareECDSAVerify(b *testing.B) {
	k := tokentest.Keys()
	signed, sig := splitSigned(b, tokentest.EC(b, tokentest.Claims()))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256([]byte(signed))
		if !ecdsa.Verify(&k.EC.PublicKey, h[:], r, s) {
			b.Fatal("signature invalid")
		}
	}
}

// BenchmarkJWTOpaqueSkip is a token that is not a JWT, as for a TokenReview
// strategy later in the chain. Measured: ~50 ns/op, 0 B/op, 0 allocs/op.
func BenchmarkJWTOpaqueSkip(b *testing.B) {
	s := newJWT(b, jwtStaticKeys(b))
	r := tokentest.Request("sha256~Zm9vYmFyYmF6cXV4")
	b.ReportAllocs()
	for b.Loop() {
		if d := s.Authenticate(r, authn.Principal{}); d.Outcome != authn.NotApplicable {
			b.Fatal(d)
		}
	}
}

// TestJWTMalformedTokenRefused: with the cache on, the token's syntax is
// checked by the cache on a miss, or before the opaque-token skip; either
// way a malformed token is refused, never skipped or verified, however
// often it comes.
func TestJWTMalformedTokenRefused(t *testing.T) {
	valid := tokentest.RSA(t, tokentest.Claims())
	for _, ttl := range []time.Duration{0, time.Minute} {
		s := newJWT(t, jwtStaticKeys(t), jwt.WithCacheTTL(ttl))
		if d := s.Authenticate(tokentest.Request(valid), authn.Principal{}); d.Outcome != authn.Contributed {
			t.Fatalf("TTL %v: valid token: %v %q", ttl, d.Outcome, d.Reason)
		}
		for _, token := range []string{valid + "!", "ab\u00e9cd.ef.gh", "opaque~token!", "a.b.c.d!"} {
			for range 2 {
				if d := s.Authenticate(tokentest.Request(token), authn.Principal{}); d.Outcome != authn.Rejected || d.Reason != "bearer token is malformed" {
					t.Errorf("TTL %v, %q: %v %q, want rejected as malformed", ttl, token, d.Outcome, d.Reason)
				}
			}
		}
	}
}
