package jwt_test

// Adversarial tests of the jwt strategy (class 5): algorithm and key
// confusion, claim tricks and time edges. Helpers come from jwt_test.go and
// package tokentest.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/internal/tokentest"
)

// TestAttack_JWTAlgorithmAndKeyConfusion: none, HMAC keyed with the public
// key, an RSA key under an EC kid, PS vs RS under a key published for RS,
// unknown and non-string kids, crit headers.
func TestAttack_JWTAlgorithmAndKeyConfusion(t *testing.T) {
	k := tokentest.Keys()
	s := newJWT(t, jwtStaticKeys(t), jwt.WithCacheTTL(0))
	cached := newJWT(t, jwtStaticKeys(t))
	rsaKID, ecKID := tokentest.KubeKID(t, &k.RSA.PublicKey), tokentest.KubeKID(t, &k.EC.PublicKey)
	der := func() []byte {
		b, _ := json.Marshal(&k.RSA.PublicKey)
		return b
	}()
	pemKey := tokentest.PKIXPEM(t, &k.RSA.PublicKey)
	n := base64.RawURLEncoding.EncodeToString(k.RSA.PublicKey.N.Bytes())
	cases := map[string]string{
		"alg none":                 tokentest.Mint(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, rsaKID, tokentest.Claims()),
		"alg none no kid":          tokentest.Mint(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, "", tokentest.Claims()),
		"HS256 keyed with PEM":     tokentest.Mint(t, gojwt.SigningMethodHS256, pemKey, rsaKID, tokentest.Claims()),
		"HS256 keyed with JSON":    tokentest.Mint(t, gojwt.SigningMethodHS256, der, rsaKID, tokentest.Claims()),
		"HS256 keyed with modulus": tokentest.Mint(t, gojwt.SigningMethodHS256, []byte(n), rsaKID, tokentest.Claims()),
		"HS512 keyed with PEM":     tokentest.Mint(t, gojwt.SigningMethodHS512, pemKey, rsaKID, tokentest.Claims()),
		"PS256 with RS256 key":     tokentest.Mint(t, gojwt.SigningMethodPS256, k.RSA, rsaKID, tokentest.Claims()),
		"RS384 with RS256 key":     tokentest.Mint(t, gojwt.SigningMethodRS384, k.RSA, rsaKID, tokentest.Claims()),
		"RS256 under the EC kid":   tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, ecKID, tokentest.Claims()),
		"ES256 under the RSA kid":  tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, rsaKID, tokentest.Claims()),
		"ES384 with P-256 key":     tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, ecKID, tokentest.Claims(), map[string]any{"alg": "ES384"}),
		"unpublished key same kid": tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA2, rsaKID, tokentest.Claims()),
		"unpublished key own kid":  tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA2, tokentest.KubeKID(t, &k.RSA2.PublicKey), tokentest.Claims()),
		"no kid, two keys":         tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, "", tokentest.Claims()),
		"kid is a number":          tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, "", tokentest.Claims(), map[string]any{"kid": 7}),
		"kid is a list":            tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, "", tokentest.Claims(), map[string]any{"kid": []string{rsaKID}}),
		"kid with NUL":             tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, rsaKID+"\x00", tokentest.Claims()),
		"kid upper-cased":          tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, strings.ToUpper(rsaKID), tokentest.Claims()),
		"crit header":              tokentest.RSA(t, tokentest.Claims(), map[string]any{"crit": []string{"exp"}}),
		"empty crit header":        tokentest.RSA(t, tokentest.Claims(), map[string]any{"crit": []string{}}),
		"jku header to elsewhere":  tokentest.RSA(t, tokentest.Claims(), map[string]any{"jku": "https://evil.example/jwks", "kid": "evil"}),
		"embedded jwk header":      tokentest.RSA(t, tokentest.Claims(), map[string]any{"jwk": map[string]any{"kty": "RSA"}, "kid": "evil"}),
		"alg in lower case":        tokentest.RSA(t, tokentest.Claims(), map[string]any{"alg": "rs256"}),
		"alg None capitalised":     tokentest.Raw(`{"alg":"None","kid":"`+rsaKID+`"}`, mustJSON(t, tokentest.Claims()), ""),
		"alg missing":              tokentest.Raw(`{"kid":"`+rsaKID+`"}`, mustJSON(t, tokentest.Claims()), "c2ln"),
		"tampered payload":         tokentest.Tamper(t, tokentest.RSA(t, tokentest.Claims()), func(p string) string { return strings.Replace(p, "builder", "admin00", -1) }),
		"signature stripped":       strings.TrimRight(tokentest.RSA(t, tokentest.Claims()), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
		"padded segments":          padSegments(tokentest.RSA(t, tokentest.Claims())),
		"std base64 segments":      stdSegments(tokentest.RSA(t, tokentest.Claims())),
	}
	for name, tok := range cases {
		for _, strat := range []*jwt.Strategy{s, cached} {
			d := tokentest.Authenticate(strat, tok)
			tokentest.WantNotVerified(t, name, d)
			if d.Outcome == authn.NotApplicable && !strings.HasPrefix(name, "padded") && !strings.HasPrefix(name, "std base64") && name != "signature stripped" {
				t.Errorf("%s: a token naming our issuer was passed on (%q)", name, d.Reason)
			}
		}
	}
	// The genuine token verifies with both, which makes the above meaningful.
	if d := tokentest.Authenticate(s, tokentest.RSA(t, tokentest.Claims())); d.Outcome != authn.Contributed {
		t.Fatalf("baseline: %v %q", d.Outcome, d.Reason)
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func padSegments(tok string) string {
	parts := strings.Split(tok, ".")
	for i := range parts {
		if m := len(parts[i]) % 4; m != 0 {
			parts[i] += strings.Repeat("=", 4-m)
		}
	}
	return strings.Join(parts, ".")
}

func stdSegments(tok string) string {
	return strings.NewReplacer("-", "+", "_", "/").Replace(tok)
}

// TestAttack_JWTClaimTricks: bindings to unknown kinds, case variants of
// claim keys, attestations without binding, incomplete bindings, missing
// or odd subjects, legacy tokens, time edges.
func TestAttack_JWTClaimTricks(t *testing.T) {
	s := newJWT(t, jwtStaticKeys(t), jwt.WithCacheTTL(0))
	now := tokentest.Now()
	cases := map[string]gojwt.MapClaims{
		"validating webhook binding": tokentest.Claims(tokentest.SetK8s("validatingwebhookconfiguration", map[string]any{"name": "p", "uid": "u"})),
		"mutating webhook binding":   tokentest.Claims(tokentest.SetK8s("mutatingwebhookconfiguration", map[string]any{"name": "p", "uid": "u"})),
		"future kind binding":        tokentest.Claims(tokentest.SetK8s("apiservice", map[string]any{"name": "p", "uid": "u"})),
		"Pod in upper case":          tokentest.Claims(tokentest.SetK8s("pod", nil), tokentest.SetK8s("Pod", map[string]any{"name": "p", "uid": "u"})),
		"ServiceAccount key variant": tokentest.Claims(tokentest.SetK8s("ServiceAccount", map[string]any{"name": "admin", "uid": "u"})),
		"Namespace key variant":      tokentest.Claims(tokentest.SetK8s("Namespace", "kube-system")),
		"attestations alone":         tokentest.Claims(tokentest.SetK8s("attestations", map[string]any{"admissionReviewAPIGroups": []string{"*"}})),
		"pod without uid":            tokentest.Claims(tokentest.SetK8s("pod", map[string]any{"name": "p"})),
		"node without name":          tokentest.Claims(tokentest.SetK8s("node", map[string]any{"uid": "u"})),
		"secret empty":               tokentest.Claims(tokentest.SetK8s("secret", map[string]any{})),
		"pod is a string":            tokentest.Claims(tokentest.SetK8s("pod", "p")),
		"no serviceaccount uid":      tokentest.Claims(tokentest.SetK8s("serviceaccount", map[string]any{"name": "builder"})),
		"no namespace":               tokentest.Claims(tokentest.SetK8s("namespace", nil)),
		"sub of another SA":          tokentest.Claims(tokentest.Set("sub", "system:serviceaccount:team-a:admin")),
		"sub of another namespace":   tokentest.Claims(tokentest.Set("sub", "system:serviceaccount:kube-system:builder")),
		"sub upper case":             tokentest.Claims(tokentest.Set("sub", "SYSTEM:serviceaccount:team-a:builder")),
		"sub with extra part":        tokentest.Claims(tokentest.Set("sub", "system:serviceaccount:team-a:builder:x")),
		"sub missing":                tokentest.Claims(tokentest.Unset("sub")),
		"sub a human":                tokentest.Claims(tokentest.Set("sub", "alice")),
		"aud missing":                tokentest.Claims(tokentest.Unset("aud")),
		"aud another":                tokentest.Claims(tokentest.Set("aud", []string{"https://kubernetes.default.svc"})),
		"aud empty list":             tokentest.Claims(tokentest.Set("aud", []string{})),
		"aud case variant":           tokentest.Claims(tokentest.Set("aud", []string{"AuthChain"})),
		"exp missing":                tokentest.Claims(tokentest.Unset("exp")),
		"exp past skew":              tokentest.Claims(tokentest.Set("exp", now.Add(-31*time.Second).Unix())),
		"exp huge float":             tokentest.Claims(tokentest.Set("exp", 1e300)),
		"nbf beyond skew":            tokentest.Claims(tokentest.Set("nbf", now.Add(31*time.Second).Unix())),
		"iat beyond skew":            tokentest.Claims(tokentest.Set("iat", now.Add(31*time.Second).Unix())),
		"iat as string":              tokentest.Claims(tokentest.Set("iat", "yesterday")),
		"legacy claims beside bound": tokentest.Claims(tokentest.Set("kubernetes.io/serviceaccount/namespace", "kube-system")),
		"kubernetes.io not object":   tokentest.Claims(tokentest.Set("kubernetes.io", "x")),
		"warnafter only left":        tokentest.Claims(tokentest.Set("kubernetes.io", map[string]any{"warnafter": 1})),
	}
	for name, c := range cases {
		d := tokentest.Authenticate(s, tokentest.RSA(t, c))
		if name == "legacy claims beside bound" {
			// Extra top-level claims are not read: only the bound identity.
			if d.Outcome == authn.Contributed && d.Principal.Actor.Namespace != "team-a" {
				t.Errorf("%s: actor %+v", name, d.Principal.Actor)
			}
			continue
		}
		tokentest.WantRejected(t, name, d)
	}
	// exp written as a JSON string: golang-jwt reads it as a number where
	// Kubernetes' decoder would refuse the token. Only the issuer can sign
	// one, so this is a leniency, not a hole; it must at least keep its
	// meaning (an expired string exp is still expired).
	if d := tokentest.Authenticate(s, tokentest.RSA(t, tokentest.Claims(tokentest.Set("exp", fmt.Sprint(now.Add(-time.Hour).Unix()))))); d.Outcome == authn.Contributed {
		t.Error("an expired exp written as a string was accepted")
	}
	if d := tokentest.Authenticate(s, tokentest.RSA(t, tokentest.Claims(tokentest.Set("exp", fmt.Sprint(now.Add(time.Hour).Unix()))))); d.Outcome == authn.Contributed {
		t.Log("NOTE: exp as a JSON string is accepted (Kubernetes would refuse such a token)")
	}
	// Legacy tokens are not this strategy's unless allowed, and then only
	// without a kubernetes.io claim.
	legacy := tokentest.RSA(t, tokentest.LegacyClaims())
	tokentest.WantNotVerified(t, "legacy not allowed", tokentest.Authenticate(s, legacy))
	lenient := newJWT(t, jwtStaticKeys(t), jwt.InsecureAcceptLegacySecretTokens(), jwt.WithCacheTTL(0))
	tokentest.WantRejected(t, "legacy with a binding", tokentest.Authenticate(lenient, tokentest.RSA(t, tokentest.LegacyClaims(tokentest.Set("kubernetes.io", map[string]any{"namespace": "team-a"})))))
	tokentest.WantRejected(t, "legacy without uid", tokentest.Authenticate(lenient, tokentest.RSA(t, tokentest.LegacyClaims(tokentest.Unset("kubernetes.io/serviceaccount/service-account.uid")))))
	tokentest.WantRejected(t, "legacy with mismatched sub", tokentest.Authenticate(lenient, tokentest.RSA(t, tokentest.LegacyClaims(tokentest.Set("sub", "system:serviceaccount:team-a:admin")))))
}

// TestAttack_JWTDuplicateJSONKeys: a payload (signed by the issuer) with a
// claim repeated must be read as Kubernetes reads it (the last value), or
// refused; it must never authenticate the first value while Kubernetes
// would see the second.
func TestAttack_JWTDuplicateJSONKeys(t *testing.T) {
	k := tokentest.Keys()
	keys, err := jwks.Static(tokentest.JWKS(t, &k.EC.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	s := newJWT(t, keys, jwt.WithCacheTTL(0))
	now := tokentest.Now()
	header := `{"alg":"ES256","kid":"` + tokentest.KubeKID(t, &k.EC.PublicKey) + `"}`
	base := fmt.Sprintf(`"iss":%q,"aud":[%q],"exp":%d,"iat":%d,"jti":"j"`, tokentest.Issuer, tokentest.Audience, now.Add(time.Hour).Unix(), now.Unix())
	sa := func(ns, name, uid string) string {
		return fmt.Sprintf(`"sub":"system:serviceaccount:%s:%s","kubernetes.io":{"namespace":%q,"serviceaccount":{"name":%q,"uid":%q}}`, ns, name, ns, name, uid)
	}
	for name, payload := range map[string]string{
		"sub and claim twice, second wins":   "{" + base + "," + sa("team-a", "builder", "u1") + "," + sa("team-a", "admin", "u2") + "}",
		"kubernetes.io twice, webhook first": "{" + base + "," + sa("team-a", "admin", "u2") + `,"kubernetes.io":{"namespace":"team-a","serviceaccount":{"name":"admin","uid":"u2"},"validatingwebhookconfiguration":{"name":"p","uid":"u"}}` + "," + `"kubernetes.io":{"namespace":"team-a","serviceaccount":{"name":"admin","uid":"u2"}}` + "}",
		"iss twice, other issuer second":     "{" + base + "," + sa("team-a", "admin", "u2") + `,"iss":"https://other.example"}`,
		"KUBERNETES.IO case variant after":   "{" + base + "," + sa("team-a", "builder", "u1") + `,"KUBERNETES.IO":{"namespace":"team-a","serviceaccount":{"name":"admin","uid":"u2"}}}`,
		"Sub case variant after":             "{" + base + "," + sa("team-a", "builder", "u1") + `,"Sub":"system:serviceaccount:team-a:admin"}`,
	} {
		d := tokentest.Authenticate(s, rawJWTSigned(t, k.EC, header, payload))
		if d.Outcome != authn.Contributed {
			continue // refused: fine
		}
		// Kubernetes decodes with encoding/json as well: last value, and
		// keys matched case-insensitively. The identity must be the one
		// Kubernetes would see, or refused.
		var claims struct {
			Sub string `json:"sub"`
			K   struct {
				SA struct{ Name, UID string } `json:"serviceaccount"`
			} `json:"kubernetes.io"`
		}
		_ = json.Unmarshal([]byte(payload), &claims)
		if d.Principal.Actor.Name != claims.K.SA.Name || d.Principal.Actor.UID != claims.K.SA.UID {
			t.Errorf("%s: authenticated %+v, Kubernetes would read %+v", name, d.Principal.Actor, claims.K.SA)
		}
	}
}

// TestAttack_JWKSTricks: private keys, duplicate kids, symmetric keys and
// keys for encryption never become verification keys.
func TestAttack_JWKSTricks(t *testing.T) {
	k := tokentest.Keys()
	jwk := func(key any, kid, alg, use string) json.RawMessage {
		b, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: use})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	set := func(keys ...json.RawMessage) []byte {
		b, _ := json.Marshal(map[string]any{"keys": keys})
		return b
	}
	for name, data := range map[string][]byte{
		"private RSA":      set(jwk(k.RSA, "a", "RS256", "sig")),
		"private EC":       set(jwk(k.EC, "a", "ES256", "sig")),
		"duplicate kid":    set(jwk(&k.RSA.PublicKey, "a", "RS256", "sig"), jwk(&k.EC.PublicKey, "a", "ES256", "sig")),
		"only oct":         set(jwk([]byte("0123456789abcdef0123456789abcdef"), "a", "HS256", "sig")),
		"only enc":         set(jwk(&k.RSA.PublicKey, "a", "RSA-OAEP", "enc")),
		"private PEM":      tokentest.PEM(t, "PRIVATE KEY", []byte("x")),
		"RSA PRIVATE PEM":  tokentest.PEM(t, "RSA PRIVATE KEY", []byte("x")),
		"EC PRIVATE PEM":   tokentest.PEM(t, "EC PRIVATE KEY", []byte("x")),
		"no keys":          []byte(`{"keys":[]}`),
		"keys not a list":  []byte(`{"keys":{}}`),
		"trailing garbage": append(set(jwk(&k.RSA.PublicKey, "a", "RS256", "sig")), []byte("x")...),
	} {
		if _, err := jwks.Static(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An oct key beside an RSA key is ignored, never used as an HMAC secret.
	secret := []byte("0123456789abcdef0123456789abcdef")
	keys, err := jwks.Static(set(jwk(&k.RSA.PublicKey, "rsa", "RS256", "sig"), jwk(secret, "oct", "HS256", "sig")))
	if err != nil {
		t.Fatal(err)
	}
	s := newJWT(t, keys, jwt.WithCacheTTL(0))
	tokentest.WantNotVerified(t, "HS256 with the published oct key", tokentest.Authenticate(s, tokentest.Mint(t, gojwt.SigningMethodHS256, secret, "oct", tokentest.Claims())))
	// A key published with "alg":"HS256" on an RSA key never verifies
	// anything but that alg, which is refused anyway.
	keys, err = jwks.Static(set(jwk(&k.RSA.PublicKey, "rsa", "HS256", "sig")))
	if err == nil {
		s = newJWT(t, keys, jwt.WithCacheTTL(0))
		tokentest.WantNotVerified(t, "RS256 under an HS256-bound key", tokentest.Authenticate(s, tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, "rsa", tokentest.Claims())))
	}
}

// TestAttack_OversizeTokens: a token over bearer.MaxLength is refused before
// parsing; a huge header in a token of our issuer is refused.
func TestAttack_OversizeTokens(t *testing.T) {
	s := newJWT(t, jwtStaticKeys(t))
	big := tokentest.RSA(t, tokentest.Claims(tokentest.Set("pad", strings.Repeat("A", bearer.MaxLength))))
	start := time.Now()
	d := tokentest.Authenticate(s, big)
	tokentest.WantNotVerified(t, "oversize", d)
	if d.Outcome != authn.Rejected {
		t.Errorf("oversize token: %v %q, want rejected", d.Outcome, d.Reason)
	}
	// Deeply nested JSON under the limit.
	nested := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	tok := tokentest.Raw(`{"alg":"RS256","kid":"x"}`, `{"iss":"`+tokentest.Issuer+`","x":`+nested+`}`, "c2ln")
	tokentest.WantNotVerified(t, "nested", tokentest.Authenticate(s, tok))
	if time.Since(start) > 2*time.Second {
		t.Errorf("oversize tokens took %v", time.Since(start))
	}
}
