package jwt_test

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/internal/tokentest"
)

// fuzzJWTStrategies are the strategy under fuzzing, without and with its
// cache; both accept legacy tokens, so that their path is reached too.
func fuzzJWTStrategies(f *testing.F) (uncached, cached *jwt.Strategy) {
	keys := jwtStaticKeys(f)
	legacy := jwt.InsecureAcceptLegacySecretTokens()
	return newJWT(f, keys, legacy, jwt.WithCacheTTL(0)), newJWT(f, keys, legacy)
}

// FuzzJWT feeds arbitrary bearer tokens to the strategy. It must never
// panic, never quote the token in a reason, decide the same with and
// without its cache, and contribute only for a token whose signature an
// independent verification (golang-jwt's own Parse, with the public keys)
// accepts, with a Credential of type "jwt" and the token's sub as Actor.
func FuzzJWT(f *testing.F) {
	k := tokentest.Keys()
	now := tokentest.Now()
	pubPEM := tokentest.PKIXPEM(f, &k.RSA.PublicKey)
	rsaKID := tokentest.KubeKID(f, &k.RSA.PublicKey)
	valid := tokentest.RSA(f, tokentest.Claims())
	for _, seed := range []string{
		valid,
		tokentest.EC(f, tokentest.Claims()),
		tokentest.Mint(f, gojwt.SigningMethodPS256, k.RSA, rsaKID, tokentest.Claims()),
		tokentest.RSA(f, tokentest.LegacyClaims()),
		tokentest.RSA(f, tokentest.Claims(tokentest.Set("exp", now.Add(-time.Hour).Unix()))),
		tokentest.RSA(f, tokentest.Claims(tokentest.Set("aud", "vault"))),
		tokentest.RSA(f, tokentest.Claims(tokentest.Set("sub", "system:serviceaccount:team-a:admin"))),
		tokentest.RSA(f, tokentest.Claims(tokentest.Set("iss", "https://oidc.example.com"))),
		tokentest.RSA(f, tokentest.Claims(), map[string]any{"crit": []any{"b64"}}),
		tokentest.Mint(f, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, rsaKID, tokentest.Claims()),
		tokentest.Mint(f, gojwt.SigningMethodHS256, pubPEM, rsaKID, tokentest.Claims()),
		tokentest.Mint(f, gojwt.SigningMethodRS256, k.RSA2, rsaKID, tokentest.Claims()),
		tokentest.Tamper(f, valid, func(p string) string { return strings.Replace(p, "builder", "bu1lder", 1) }),
		tokentest.Raw(`{"alg":"RS256","kid":7}`, `{"iss":"`+tokentest.Issuer+`"}`, "c2ln"),
		tokentest.Raw(`{"alg":"ES256"}`, `{"iss":"`+tokentest.Issuer+`","aud":null,"kubernetes.io":{"serviceaccount":null}}`, ""),
		tokentest.Raw(`{}`, `{}`, ""),
		tokentest.Raw(`[]`, `null`, "AA"),
		"sha256~Zm9vYmFyYmF6cXV4",
		"a.b.c",
		"..",
		"",
		" " + valid + " ",
	} {
		f.Add(seed)
	}
	pubs := map[string]any{rsaKID: &k.RSA.PublicKey, tokentest.KubeKID(f, &k.EC.PublicKey): &k.EC.PublicKey}
	// The algorithms jwtStaticKeys publishes the keys for.
	algs := map[string]string{rsaKID: "RS256", tokentest.KubeKID(f, &k.EC.PublicKey): "ES256"}
	uncached, cached := fuzzJWTStrategies(f)
	if d := tokentest.Authenticate(uncached, valid); d.Outcome != authn.Contributed {
		f.Fatalf("the valid seed is not verified (%v): the checks below would never run", d)
	}

	f.Fuzz(func(t *testing.T, token string) {
		d := tokentest.Authenticate(uncached, token)
		tokentest.CheckReasonHidesToken(t, d, token)
		if diff := cmp.Diff(d, tokentest.Authenticate(cached, token), cmp.Comparer(sameError)); diff != "" {
			t.Fatalf("cached and uncached disagree (-uncached +cached):\n%s", diff)
		}
		if d.Outcome != authn.Contributed {
			return
		}
		// The strategy saw the token as bearer.Source trims it.
		token = strings.TrimSpace(token)
		parsed, err := gojwt.Parse(token, func(tok *gojwt.Token) (any, error) {
			kid, _ := tok.Header["kid"].(string)
			if tok.Method.Alg() != algs[kid] {
				return nil, errors.New("token algorithm does not match its key")
			}
			return pubs[kid], nil
		}, gojwt.WithValidMethods([]string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256"}), gojwt.WithoutClaimsValidation())
		if err != nil || !parsed.Valid {
			t.Fatalf("contributed %v for a token whose signature does not verify: %v", d.Principal, err)
		}
		checkContribution(t, d, parsed.Claims.(gojwt.MapClaims))
	})
}

// FuzzJWTSignedClaims signs arbitrary headers and payloads with a key of
// the strategy's set, so that the claim checks after the signature are
// reached. Whatever it contributes must be what the claims say.
func FuzzJWTSignedClaims(f *testing.F) {
	header := `{"alg":"ES256","kid":"` + tokentest.KubeKID(f, &tokentest.Keys().EC.PublicKey) + `"}`
	payload := func(c gojwt.MapClaims) string {
		b, err := json.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		return string(b)
	}
	for _, p := range []string{
		payload(tokentest.Claims()),
		payload(tokentest.LegacyClaims()),
		payload(tokentest.Claims(tokentest.Set("aud", tokentest.Audience), tokentest.Unset("jti"), tokentest.SetK8s("pod", nil))),
		payload(tokentest.Claims(tokentest.Set("sub", "system:serviceaccount:team-a:builder:x"))),
		payload(tokentest.Claims(tokentest.Set("exp", 1e300), tokentest.Set("nbf", -1e300))),
		payload(tokentest.Claims(tokentest.Set("exp", "soon"))),
		payload(tokentest.Claims(tokentest.Set("kubernetes.io", []any{}))),
		`{"iss":"` + tokentest.Issuer + `","iss":"other"}`,
		`null`,
	} {
		f.Add(header, p)
		f.Add(`{"alg":"ES256"}`, p)
	}
	uncached, cached := fuzzJWTStrategies(f)
	key := tokentest.Keys().EC
	if d := tokentest.Authenticate(uncached, rawJWTSigned(f, key, header, payload(tokentest.Claims()))); d.Outcome != authn.Contributed {
		f.Fatalf("the valid seed is not verified (%v): the checks below would never run", d)
	}

	f.Fuzz(func(t *testing.T, header, payload string) {
		token := rawJWTSigned(t, key, header, payload)
		d := tokentest.Authenticate(uncached, token)
		tokentest.CheckReasonHidesToken(t, d, token)
		if diff := cmp.Diff(d, tokentest.Authenticate(cached, token), cmp.Comparer(sameError)); diff != "" {
			t.Fatalf("cached and uncached disagree (-uncached +cached):\n%s", diff)
		}
		if d.Outcome != authn.Contributed {
			return
		}
		var claims gojwt.MapClaims
		if err := json.Unmarshal([]byte(payload), &claims); err != nil {
			t.Fatalf("contributed for a payload that is not a JSON object: %v", err)
		}
		checkContribution(t, d, claims)
	})
}

// checkContribution holds a contribution to its verified claims. Claims are
// re-read with encoding/json's struct semantics, as the strategy reads
// them, so that the check is about the strategy's rules, not JSON's.
func checkContribution(t *testing.T, d authn.Decision, mc gojwt.MapClaims) {
	t.Helper()
	raw, err := json.Marshal(mc)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Iss string             `json:"iss"`
		Sub string             `json:"sub"`
		Aud gojwt.ClaimStrings `json:"aud"`
		Exp *gojwt.NumericDate `json:"exp"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("contributed for claims that do not decode: %v", err)
	}
	p := d.Principal
	switch {
	case p.Credential == nil || p.Credential.Type != "jwt":
		t.Fatalf("contribution without a jwt Credential: %+v", p)
	case p.Actor == nil || p.Actor.Subject() != c.Sub || p.Actor.UID == "":
		t.Fatalf("Actor %+v does not match sub %q", p.Actor, c.Sub)
	case !p.User.IsZero():
		t.Fatalf("a token alone set User %q", p.User.Name)
	case c.Iss == jwt.LegacyServiceAccountIssuer:
		if p.Credential.LegacySecret == "" {
			t.Fatal("legacy token without LegacySecret")
		}
	case c.Iss != tokentest.Issuer:
		t.Fatalf("contributed for issuer %q", c.Iss)
	case !slices.Contains(c.Aud, tokentest.Audience) || !slices.Equal(p.Credential.Audiences, []string{tokentest.Audience}):
		t.Fatalf("aud %q, credential audiences %q", c.Aud, p.Credential.Audiences)
	case c.Exp == nil || !c.Exp.Add(jwt.DefaultClockSkew).After(tokentest.Now()):
		t.Fatalf("contributed for exp %v", c.Exp)
	}
}

// rawJWTSigned assembles a token from header and payload as given, signed
// with key as ES256 signs, whatever header says.
func rawJWTSigned(t testing.TB, key *ecdsa.PrivateKey, header, payload string) string {
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	return signed + "." + enc.EncodeToString(signES256(t, key, signed))
}

// signES256 signs input as JWS ES256 does: r || s, 32 bytes each.
func signES256(t testing.TB, key *ecdsa.PrivateKey, input string) []byte {
	h := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig
}

// sameError compares decision causes by message: the cached path wraps
// them in no other way.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}
