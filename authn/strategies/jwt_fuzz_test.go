package strategies_test

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

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
)

// fuzzJWTStrategies are the strategy under fuzzing, without and with its
// cache; both accept legacy tokens, so that their path is reached too.
func fuzzJWTStrategies(f *testing.F) (uncached, cached *strategies.JWTStrategy) {
	keys := jwtStaticKeys(f)
	legacy := strategies.InsecureAcceptLegacySecretTokens()
	return newJWT(f, keys, legacy, strategies.WithJWTCacheTTL(0)), newJWT(f, keys, legacy)
}

// FuzzJWT feeds arbitrary bearer tokens to the strategy. It must never
// panic, never quote the token in a reason, decide the same with and
// without its cache, and contribute only for a token whose signature an
// independent verification (golang-jwt's own Parse, with the public keys)
// accepts, with a Credential of type "jwt" and the token's sub as Actor.
func FuzzJWT(f *testing.F) {
	k := jwtTestKeys()
	now := jwtTestNow()
	pubPEM := pkixPEM(f, &k.rsa.PublicKey)
	rsaKID := kubeKID(f, &k.rsa.PublicKey)
	valid := rsaJWT(f, jwtClaims())
	for _, seed := range []string{
		valid,
		ecJWT(f, jwtClaims()),
		mintJWT(f, jwt.SigningMethodPS256, k.rsa, rsaKID, jwtClaims()),
		rsaJWT(f, legacyClaims()),
		rsaJWT(f, jwtClaims(set("exp", now.Add(-time.Hour).Unix()))),
		rsaJWT(f, jwtClaims(set("aud", "vault"))),
		rsaJWT(f, jwtClaims(set("sub", "system:serviceaccount:team-a:admin"))),
		rsaJWT(f, jwtClaims(set("iss", "https://oidc.example.com"))),
		rsaJWT(f, jwtClaims(), map[string]any{"crit": []any{"b64"}}),
		mintJWT(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, rsaKID, jwtClaims()),
		mintJWT(f, jwt.SigningMethodHS256, pubPEM, rsaKID, jwtClaims()),
		mintJWT(f, jwt.SigningMethodRS256, k.rsa2, rsaKID, jwtClaims()),
		tamper(f, valid, func(p string) string { return strings.Replace(p, "builder", "bu1lder", 1) }),
		rawJWT(`{"alg":"RS256","kid":7}`, `{"iss":"`+jwtIssuer+`"}`, "c2ln"),
		rawJWT(`{"alg":"ES256"}`, `{"iss":"`+jwtIssuer+`","aud":null,"kubernetes.io":{"serviceaccount":null}}`, ""),
		rawJWT(`{}`, `{}`, ""),
		rawJWT(`[]`, `null`, "AA"),
		"sha256~Zm9vYmFyYmF6cXV4",
		"a.b.c",
		"..",
		"",
		" " + valid + " ",
	} {
		f.Add(seed)
	}
	pubs := map[string]any{rsaKID: &k.rsa.PublicKey, kubeKID(f, &k.ec.PublicKey): &k.ec.PublicKey}
	// The algorithms jwtStaticKeys publishes the keys for.
	algs := map[string]string{rsaKID: "RS256", kubeKID(f, &k.ec.PublicKey): "ES256"}
	uncached, cached := fuzzJWTStrategies(f)
	if d := authenticate(uncached, valid); d.Outcome != authn.Contributed {
		f.Fatalf("the valid seed is not verified (%v): the checks below would never run", d)
	}

	f.Fuzz(func(t *testing.T, token string) {
		d := authenticate(uncached, token)
		checkReasonHidesToken(t, d, token)
		if diff := cmp.Diff(d, authenticate(cached, token), cmp.Comparer(sameError)); diff != "" {
			t.Fatalf("cached and uncached disagree (-uncached +cached):\n%s", diff)
		}
		if d.Outcome != authn.Contributed {
			return
		}
		// The strategy saw the token as TokenSource trims it.
		token = strings.TrimSpace(token)
		parsed, err := jwt.Parse(token, func(tok *jwt.Token) (any, error) {
			kid, _ := tok.Header["kid"].(string)
			if tok.Method.Alg() != algs[kid] {
				return nil, errors.New("token algorithm does not match its key")
			}
			return pubs[kid], nil
		}, jwt.WithValidMethods([]string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256"}), jwt.WithoutClaimsValidation())
		if err != nil || !parsed.Valid {
			t.Fatalf("contributed %v for a token whose signature does not verify: %v", d.Principal, err)
		}
		checkContribution(t, d, parsed.Claims.(jwt.MapClaims))
	})
}

// FuzzJWTSignedClaims signs arbitrary headers and payloads with a key of
// the strategy's set, so that the claim checks after the signature are
// reached. Whatever it contributes must be what the claims say.
func FuzzJWTSignedClaims(f *testing.F) {
	header := `{"alg":"ES256","kid":"` + kubeKID(f, &jwtTestKeys().ec.PublicKey) + `"}`
	payload := func(c jwt.MapClaims) string {
		b, err := json.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		return string(b)
	}
	for _, p := range []string{
		payload(jwtClaims()),
		payload(legacyClaims()),
		payload(jwtClaims(set("aud", jwtAudience), unset("jti"), setK8s("pod", nil))),
		payload(jwtClaims(set("sub", "system:serviceaccount:team-a:builder:x"))),
		payload(jwtClaims(set("exp", 1e300), set("nbf", -1e300))),
		payload(jwtClaims(set("exp", "soon"))),
		payload(jwtClaims(set("kubernetes.io", []any{}))),
		`{"iss":"` + jwtIssuer + `","iss":"other"}`,
		`null`,
	} {
		f.Add(header, p)
		f.Add(`{"alg":"ES256"}`, p)
	}
	uncached, cached := fuzzJWTStrategies(f)
	key := jwtTestKeys().ec
	if d := authenticate(uncached, rawJWTSigned(f, key, header, payload(jwtClaims()))); d.Outcome != authn.Contributed {
		f.Fatalf("the valid seed is not verified (%v): the checks below would never run", d)
	}

	f.Fuzz(func(t *testing.T, header, payload string) {
		token := rawJWTSigned(t, key, header, payload)
		d := authenticate(uncached, token)
		checkReasonHidesToken(t, d, token)
		if diff := cmp.Diff(d, authenticate(cached, token), cmp.Comparer(sameError)); diff != "" {
			t.Fatalf("cached and uncached disagree (-uncached +cached):\n%s", diff)
		}
		if d.Outcome != authn.Contributed {
			return
		}
		var claims jwt.MapClaims
		if err := json.Unmarshal([]byte(payload), &claims); err != nil {
			t.Fatalf("contributed for a payload that is not a JSON object: %v", err)
		}
		checkContribution(t, d, claims)
	})
}

// checkContribution holds a contribution to its verified claims. Claims are
// re-read with encoding/json's struct semantics, as the strategy reads
// them, so that the check is about the strategy's rules, not JSON's.
func checkContribution(t *testing.T, d authn.Decision, mc jwt.MapClaims) {
	t.Helper()
	raw, err := json.Marshal(mc)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Iss string           `json:"iss"`
		Sub string           `json:"sub"`
		Aud jwt.ClaimStrings `json:"aud"`
		Exp *jwt.NumericDate `json:"exp"`
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
	case c.Iss == strategies.LegacyServiceAccountIssuer:
		if p.Credential.LegacySecret == "" {
			t.Fatal("legacy token without LegacySecret")
		}
	case c.Iss != jwtIssuer:
		t.Fatalf("contributed for issuer %q", c.Iss)
	case !slices.Contains(c.Aud, jwtAudience) || !slices.Equal(p.Credential.Audiences, []string{jwtAudience}):
		t.Fatalf("aud %q, credential audiences %q", c.Aud, p.Credential.Audiences)
	case c.Exp == nil || !c.Exp.Add(strategies.DefaultClockSkew).After(jwtTestNow()):
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
