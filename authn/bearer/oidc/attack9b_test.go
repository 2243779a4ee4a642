package oidc_test

// Adversarial tests of the oidc strategy: algorithm and key confusion, kid
// and iss tricks, audience and time edges, reserved names, the forwarded
// user and the Actor, and the cache across key-set changes.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/oidc"
	"github.com/authchain/authchain/internal/tokentest"
)

func attackJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// bothCaches returns the strategy without and with its cache.
func bothCaches(t *testing.T, opts ...oidc.Option) []*oidc.Strategy {
	return []*oidc.Strategy{newOIDC(t, append(opts, oidc.WithCacheTTL(0))...), newOIDC(t, opts...)}
}

// TestAttack9bOIDCAlgorithmAndKeyConfusion: none, HMAC keyed with the public
// key in every spelling, RS and PS swapped, keys of the wrong type or curve,
// and header tricks, all naming the oidc issuer: each is refused, never
// passed on.
func TestAttack9bOIDCAlgorithmAndKeyConfusion(t *testing.T) {
	k := tokentest.Keys()
	rsaKID, ecKID := tokentest.KubeKID(t, &k.RSA.PublicKey), tokentest.KubeKID(t, &k.EC.PublicKey)
	pemKey := tokentest.PKIXPEM(t, &k.RSA.PublicKey)
	ecPEM := tokentest.PKIXPEM(t, &k.EC.PublicKey)
	jwkJSON := func() []byte {
		var set struct{ Keys []json.RawMessage }
		_ = json.Unmarshal(tokentest.JWKS(t, &k.RSA.PublicKey), &set)
		return set.Keys[0]
	}()
	n := base64.RawURLEncoding.EncodeToString(k.RSA.PublicKey.N.Bytes())
	c := idClaims()
	cases := map[string]string{
		"alg none":                 tokentest.Mint(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, rsaKID, c),
		"alg none no kid":          tokentest.Mint(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, "", c),
		"alg None capitalised":     tokentest.Raw(`{"alg":"None","kid":"`+rsaKID+`"}`, attackJSON(t, c), ""),
		"alg NONE sig":             tokentest.Raw(`{"alg":"NONE","kid":"`+rsaKID+`"}`, attackJSON(t, c), "c2ln"),
		"HS256 keyed with PEM":     tokentest.Mint(t, gojwt.SigningMethodHS256, pemKey, rsaKID, c),
		"HS256 keyed with EC PEM":  tokentest.Mint(t, gojwt.SigningMethodHS256, ecPEM, ecKID, c),
		"HS256 keyed with JWK":     tokentest.Mint(t, gojwt.SigningMethodHS256, jwkJSON, rsaKID, c),
		"HS256 keyed with modulus": tokentest.Mint(t, gojwt.SigningMethodHS256, []byte(n), rsaKID, c),
		"HS384 keyed with PEM":     tokentest.Mint(t, gojwt.SigningMethodHS384, pemKey, rsaKID, c),
		"PS256 with RS256 key":     tokentest.Mint(t, gojwt.SigningMethodPS256, k.RSA, rsaKID, c),
		"RS512 with RS256 key":     tokentest.Mint(t, gojwt.SigningMethodRS512, k.RSA, rsaKID, c),
		"RS256 under the EC kid":   tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, ecKID, c),
		"ES256 under the RSA kid":  tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, rsaKID, c),
		"ES384 header P-256 sig":   tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, ecKID, c, map[string]any{"alg": "ES384"}),
		"EdDSA header":             tokentest.Raw(`{"alg":"EdDSA","kid":"`+ecKID+`"}`, attackJSON(t, c), "c2ln"),
		"alg lower case":           tokentest.EC(t, c, map[string]any{"alg": "es256"}),
		"alg missing":              tokentest.Raw(`{"kid":"`+ecKID+`"}`, attackJSON(t, c), "c2ln"),
		"alg a number":             tokentest.Raw(`{"alg":256,"kid":"`+ecKID+`"}`, attackJSON(t, c), "c2ln"),
		"crit header":              tokentest.EC(t, c, map[string]any{"crit": []string{"exp"}}),
		"empty crit":               tokentest.EC(t, c, map[string]any{"crit": []string{}}),
		"jku elsewhere":            tokentest.EC(t, c, map[string]any{"jku": "https://evil.example/jwks", "kid": "evil"}),
		"embedded jwk":             tokentest.EC(t, c, map[string]any{"jwk": map[string]any{"kty": "EC"}, "kid": "evil"}),
		"unpublished key same kid": tokentest.Mint(t, gojwt.SigningMethodES256, k.EC2, ecKID, c),
		"tampered payload":         tokentest.Tamper(t, tokentest.EC(t, c), func(p string) string { return strings.Replace(p, "248289761001", "248289761002", 1) }),
		"signature of another":     swapSignature(tokentest.EC(t, c), tokentest.EC(t, idClaims(tokentest.Set("sub", "other")))),
	}
	for name, tok := range cases {
		for _, s := range bothCaches(t) {
			for range 2 {
				d := tokentest.Authenticate(s, tok)
				tokentest.WantRejected(t, name, d)
				tokentest.CheckReasonHidesToken(t, d, tok)
			}
		}
	}
	if d := tokentest.Authenticate(newOIDC(t), tokentest.EC(t, c)); d.Outcome != authn.Contributed {
		t.Fatalf("baseline: %v %q", d.Outcome, d.Reason)
	}
}

func swapSignature(tok, donor string) string {
	return tok[:strings.LastIndexByte(tok, '.')] + donor[strings.LastIndexByte(donor, '.'):]
}

// TestAttack9bOIDCWrongCurve: a key set that does not bind algorithms
// (PEM keys) holds a P-384 key; an ES256 token signed with it, and an
// ES384 token whose P-256 key is in the set, are refused.
func TestAttack9bOIDCWrongCurve(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := tokentest.Keys()
	keys, err := jwks.Static(append(tokentest.PKIXPEM(t, &p384.PublicKey), tokentest.PKIXPEM(t, &k.EC.PublicKey)...))
	if err != nil {
		t.Fatal(err)
	}
	kid384, kid256 := tokentest.KubeKID(t, &p384.PublicKey), tokentest.KubeKID(t, &k.EC.PublicKey)
	if _, err := keys.Key(context.Background(), kid384); err != nil {
		t.Skipf("PEM keys are not under their Kubernetes kid here: %v", err)
	}
	s, err := oidc.New(idp, keys, oidc.WithAudiences(clientID), oidc.WithClock(tokentest.Now), oidc.WithCacheTTL(0),
		oidc.WithAlgorithms("ES256", "ES384"))
	if err != nil {
		t.Fatal(err)
	}
	payload := attackJSON(t, idClaims())
	// ES256 over SHA-256, signed by the P-384 key: r||s of 48 bytes each.
	es256by384 := ecSign(t, p384, `{"alg":"ES256","kid":"`+kid384+`"}`, payload, sha256.Sum256, 48)
	// The same, with r and s cut to 32 bytes, as ES256 expects.
	es256by384short := ecSign(t, p384, `{"alg":"ES256","kid":"`+kid384+`"}`, payload, sha256.Sum256, 32)
	// ES384 header, signed by the P-256 key with SHA-256.
	es384by256 := ecSign(t, k.EC, `{"alg":"ES384","kid":"`+kid256+`"}`, payload, sha256.Sum256, 48)
	for name, tok := range map[string]string{"ES256 by P-384": es256by384, "ES256 by P-384 cut": es256by384short, "ES384 by P-256": es384by256} {
		tokentest.WantRejected(t, name, tokentest.Authenticate(s, tok))
	}
	// Baseline: the P-256 key verifies ES256.
	good := tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, kid256, idClaims())
	if d := tokentest.Authenticate(s, good); d.Outcome != authn.Contributed {
		t.Fatalf("baseline: %v %q", d.Outcome, d.Reason)
	}
}

func ecSign(t *testing.T, key *ecdsa.PrivateKey, header, payload string, hash func([]byte) [32]byte, size int) string {
	t.Helper()
	enc := base64.RawURLEncoding
	data := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	sum := hash([]byte(data))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 2*size)
	fill := func(dst []byte, v *big.Int) {
		b := v.Bytes()
		if len(b) > len(dst) {
			b = b[len(b)-len(dst):]
		}
		copy(dst[len(dst)-len(b):], b)
	}
	fill(sig[:size], r)
	fill(sig[size:], s)
	return data + "." + enc.EncodeToString(sig)
}

// TestAttack9bOIDCKidTricks: a missing kid in a set of two, unknown,
// path-like, huge, NUL-carrying and non-string kids are refused.
func TestAttack9bOIDCKidTricks(t *testing.T) {
	k := tokentest.Keys()
	ecKID := tokentest.KubeKID(t, &k.EC.PublicKey)
	c := idClaims()
	cases := map[string]string{
		"missing, two keys": tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, "", c),
		"unknown":           tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, "nope", c),
		"path-like":         tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, "../../../../etc/passwd", c),
		"URL":               tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, "https://evil.example/"+ecKID, c),
		"huge":              tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, strings.Repeat("k", 12<<10), c),
		"with NUL":          tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, ecKID+"\x00", c),
		"prefix of real":    tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, ecKID[:10], c),
		"upper-cased":       tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, strings.ToUpper(ecKID), c),
		"number":            tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, "", c, map[string]any{"kid": 7}),
		"list":              tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, "", c, map[string]any{"kid": []string{ecKID}}),
		"null":              tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, "", c, map[string]any{"kid": json.RawMessage("null")}),
	}
	for name, tok := range cases {
		for _, s := range bothCaches(t) {
			d := tokentest.Authenticate(s, tok)
			tokentest.WantRejected(t, name, d)
			tokentest.CheckReasonHidesToken(t, d, tok)
		}
	}
}

// TestAttack9bOIDCIssuerRouting: a token whose iss is almost the issuer's
// is not the strategy's (passed on, never verified), and a token whose iss
// is not a string, or is repeated, never verifies as the issuer's.
func TestAttack9bOIDCIssuerRouting(t *testing.T) {
	for name, iss := range map[string]any{
		"trailing slash":  idp + "/",
		"no scheme":       strings.TrimPrefix(idp, "https://"),
		"http":            "http://idp.example.com",
		"upper case":      strings.ToUpper(idp),
		"host upper case": "https://IDP.example.com",
		"fullwidth":       "https://ｉdp.example.com",
		"cyrillic":        "https://іdp.example.com",
		"trailing space":  idp + " ",
		"trailing NUL":    idp + "\x00",
		"zero-width":      idp + "\u200b",
		"port":            "https://idp.example.com:443",
		"list":            []any{idp},
		"object":          map[string]any{"iss": idp},
		"number":          7,
		"null":            nil,
		"empty":           "",
		"query":           idp + "?x=1",
		"fragment":        idp + "#x",
		"path dot":        idp + "/.",
		"userinfo":        "https://user@idp.example.com",
		"percent-encoded": "https://idp%2Eexample.com",
	} {
		tok := tokentest.EC(t, idClaims(tokentest.Set("iss", iss)))
		for _, s := range bothCaches(t) {
			d := tokentest.Authenticate(s, tok)
			tokentest.WantNotVerified(t, name, d)
		}
	}
}

// TestAttack9bOIDCServiceAccountTokenNamingIssuer: a ServiceAccount-shaped
// token (sub system:serviceaccount:…, kubernetes.io claim) that names the
// oidc issuer never becomes an Actor, and with a prefix-free username
// mapping never becomes a user named like a ServiceAccount.
func TestAttack9bOIDCServiceAccountTokenNamingIssuer(t *testing.T) {
	sa := tokentest.Claims(tokentest.Set("iss", idp), tokentest.Set("aud", clientID))
	for _, opts := range [][]oidc.Option{nil, {oidc.WithUsernameClaim("sub", "")}} {
		for _, s := range bothCaches(t, opts...) {
			d := tokentest.Authenticate(s, tokentest.RSA(t, sa))
			if d.Principal.Actor != nil {
				t.Errorf("an ID token set the Actor: %+v", d.Principal.Actor)
			}
			if d.Outcome == authn.Contributed {
				if _, err := authn.ParseServiceAccountSubject(d.Principal.User.Name); err == nil || strings.HasPrefix(d.Principal.User.Name, "system:") {
					t.Errorf("ServiceAccount subject became the user %q", d.Principal.User.Name)
				}
			}
		}
	}
}

// TestAttack9bOIDCAudienceTricks: aud and azp in every shape that must not
// pass.
func TestAttack9bOIDCAudienceTricks(t *testing.T) {
	set, unset := tokentest.Set, tokentest.Unset
	cases := map[string]gojwt.MapClaims{
		"aud list with client and others, no azp":    idClaims(set("aud", []any{"other", clientID})),
		"aud list with client and others, azp empty": idClaims(set("aud", []any{"other", clientID}), set("azp", "")),
		"azp another client":                         idClaims(set("azp", "vault")),
		"azp another client, aud list":               idClaims(set("aud", []any{"vault", clientID}), set("azp", "vault")),
		"azp the client, aud another":                idClaims(set("aud", "vault"), set("azp", clientID)),
		"azp a list":                                 idClaims(set("azp", []any{clientID})),
		"azp case variant":                           idClaims(set("azp", strings.ToUpper(clientID))),
		"aud number":                                 idClaims(set("aud", 7)),
		"aud object":                                 idClaims(set("aud", map[string]any{clientID: true})),
		"aud list with a number":                     idClaims(set("aud", []any{clientID, 7}), set("azp", clientID)),
		"aud nested list":                            idClaims(set("aud", []any{[]any{clientID}})),
		"aud empty string":                           idClaims(set("aud", "")),
		"aud empty list":                             idClaims(set("aud", []any{})),
		"aud null":                                   idClaims(set("aud", nil)),
		"aud case variant":                           idClaims(set("aud", strings.ToUpper(clientID))),
		"aud with space":                             idClaims(set("aud", clientID+" ")),
		"aud prefix":                                 idClaims(set("aud", clientID+"-evil")),
		"aud missing":                                idClaims(unset("aud")),
	}
	for name, c := range cases {
		for _, s := range bothCaches(t) {
			tokentest.WantRejected(t, name, tokentest.Authenticate(s, tokentest.EC(t, c)))
		}
	}
}

// TestAttack9bOIDCTimeTricks: exp, nbf and iat as strings, floats, huge,
// negative and missing.
func TestAttack9bOIDCTimeTricks(t *testing.T) {
	now := tokentest.Now()
	set, unset := tokentest.Set, tokentest.Unset
	past, future := now.Add(-time.Hour).Unix(), now.Add(time.Hour).Unix()
	cases := map[string]gojwt.MapClaims{
		"exp past as string":      idClaims(set("exp", fmt.Sprint(past))),
		"exp word":                idClaims(set("exp", "tomorrow")),
		"exp past float":          idClaims(set("exp", float64(past)+0.999)),
		"exp just past skew":      idClaims(set("exp", float64(now.Add(-31*time.Second).Unix())-0.001)),
		"exp huge float":          idClaims(set("exp", 1e300)),
		"exp beyond int64":        idClaims(set("exp", 9.3e18)),
		"exp negative":            idClaims(set("exp", -1)),
		"exp negative huge":       idClaims(set("exp", -1e300)),
		"exp zero":                idClaims(set("exp", 0)),
		"exp null":                idClaims(set("exp", nil)),
		"exp bool":                idClaims(set("exp", true)),
		"exp list":                idClaims(set("exp", []any{future})),
		"exp missing":             idClaims(unset("exp")),
		"iat future as string":    idClaims(set("iat", fmt.Sprint(future))),
		"iat word":                idClaims(set("iat", "yesterday")),
		"iat null":                idClaims(set("iat", nil)),
		"iat missing":             idClaims(unset("iat")),
		"iat future float":        idClaims(set("iat", float64(now.Add(31*time.Second).Unix())+0.5)),
		"nbf future as string":    idClaims(set("nbf", fmt.Sprint(future))),
		"nbf future float":        idClaims(set("nbf", float64(now.Add(31*time.Second).Unix())+0.5)),
		"nbf word":                idClaims(set("nbf", "now")),
		"iat beyond int64 future": idClaims(set("iat", 9.3e18)),
	}
	for name, c := range cases {
		for _, s := range bothCaches(t) {
			tokentest.WantRejected(t, name, tokentest.Authenticate(s, tokentest.EC(t, c)))
		}
	}
}

// TestAttack9bOIDCFarExpiryPrincipalEncodes: a token whose exp lies past
// the year 9999 is either refused or gives a Principal that still encodes
// as JSON (whoami's answer, audit events, logs); an accepted token must
// not make the Principal unreportable.
func TestAttack9bOIDCFarExpiryPrincipalEncodes(t *testing.T) {
	for _, exp := range []float64{253402300800, 1e15, 1e18} {
		tok := tokentest.EC(t, idClaims(tokentest.Set("exp", exp)))
		d := tokentest.Authenticate(newOIDC(t, oidc.WithCacheTTL(0)), tok)
		if d.Outcome != authn.Contributed {
			continue
		}
		if _, err := json.Marshal(d.Principal); err != nil {
			t.Errorf("exp %g: token accepted, but its Principal does not encode: %v", exp, err)
		}
	}
}

// TestAttack9bOIDCReservedNames: claims a user may often choose (sub at
// some IdPs, preferred_username, email) map to names the rule reserves or
// refuses; each is refused, through the username, groups, uid and email.
func TestAttack9bOIDCReservedNames(t *testing.T) {
	names := map[string]string{
		"system: upper":           "SYSTEM:admin",
		"system: mixed":           "System:Masters",
		"system: fullwidth":       "ｓｙｓｔｅｍ:admin",
		"system: long s":          "ſystem:admin",
		"system: fullwidth colon": "system：admin",
		"ServiceAccount subject":  "system:serviceaccount:kube-system:default",
		"synthetic prefix":        authn.SyntheticNamePrefix + "team-a-key-1",
		"synthetic upper":         strings.ToUpper(authn.SyntheticNamePrefix) + "team-a-key-1",
		"synthetic legacy id":     "system serviceaccount team-a key-1",
		"synthetic fullwidth":     "ｓｙｓｔｅｍ-serviceaccount-team-a-key-1",
		"NUL":                     "alice\x00",
		"newline":                 "alice\nuser=admin",
		"CR":                      "alice\r",
		"zero-width space":        "al\u200bice",
		"bidi override":           "\u202ealice",
		"line separator":          "alice\u2028admin",
		"not NFC":                 "re\u0301mi",
		"leading space":           " alice",
		"NBSP":                    "alice\u00a0",
		"leading combining mark":  "\u0301alice",
		"BOM":                     "\ufeffalice",
	}
	for name, v := range names {
		user := newOIDC(t, oidc.WithUsernameClaim("preferred_username", ""), oidc.WithCacheTTL(0))
		d := tokentest.Authenticate(user, tokentest.EC(t, idClaims(tokentest.Set("preferred_username", v))))
		tokentest.WantRejected(t, "username "+name, d)
	}
	groupNames := map[string]string{
		"system: upper":     "SYSTEM:masters",
		"system: fullwidth": "ｓｙｓｔｅｍ:masters",
		"system: long s":    "ſystem:masters",
		"authenticated":     "system:authenticated",
		"empty":             "",
		"newline":           "dev\nsystem:masters",
		"zero-width":        "sys\u200btem:masters",
	}
	for name, g := range groupNames {
		s := newOIDC(t, oidc.WithGroupsClaim("groups", ""), oidc.WithCacheTTL(0))
		for _, shape := range []any{g, []any{"dev", g}} {
			tokentest.WantRejected(t, "group "+name, tokentest.Authenticate(s, tokentest.EC(t, idClaims(tokentest.Set("groups", shape)))))
		}
	}
	for name, shape := range map[string]any{
		"nested list":  []any{[]any{"dev"}},
		"object":       map[string]any{"dev": true},
		"number":       7,
		"bool":         true,
		"null in list": []any{"dev", nil},
	} {
		s := newOIDC(t, oidc.WithGroupsClaim("groups", ""), oidc.WithCacheTTL(0))
		tokentest.WantRejected(t, "groups "+name, tokentest.Authenticate(s, tokentest.EC(t, idClaims(tokentest.Set("groups", shape)))))
	}
	for name, v := range map[string]string{"newline": "u\nx", "bidi": "\u202eu", "not NFC": "e\u0301"} {
		s := newOIDC(t, oidc.WithUIDClaim("oid"), oidc.WithEmailClaim("mail"), oidc.WithCacheTTL(0))
		tokentest.WantRejected(t, "uid "+name, tokentest.Authenticate(s, tokentest.EC(t, idClaims(tokentest.Set("oid", v)))))
		tokentest.WantRejected(t, "email "+name, tokentest.Authenticate(s, tokentest.EC(t, idClaims(tokentest.Set("oid", "u"), tokentest.Set("mail", v)))))
	}
	// The default username is the issuer, "#" and sub: sub cannot escape it.
	for name, sub := range map[string]string{"system:": "system:admin", "newline": "a\nb", "empty": ""} {
		d := tokentest.Authenticate(newOIDC(t, oidc.WithCacheTTL(0)), tokentest.EC(t, idClaims(tokentest.Set("sub", sub))))
		if d.Outcome == authn.Contributed && !strings.HasPrefix(d.Principal.User.Name, idp+"#") {
			t.Errorf("default username %s: %q", name, d.Principal.User.Name)
		}
		if name != "system:" {
			tokentest.WantRejected(t, "default username "+name, d)
		}
	}
}

// TestAttack9bOIDCClaimFloods: big arrays and values stay within the
// token's size bound; a token over it is refused, one under it maps
// without error or panic, and nothing but the configured claims reaches
// the User.
func TestAttack9bOIDCClaimFloods(t *testing.T) {
	s := newOIDC(t, oidc.WithGroupsClaim("groups", ""), oidc.WithCacheTTL(0))
	many := make([]any, 5000)
	for i := range many {
		many[i] = "g"
	}
	d := tokentest.Authenticate(s, tokentest.EC(t, idClaims(tokentest.Set("groups", many))))
	if d.Outcome == authn.Contributed && len(d.Principal.User.Groups) != len(many) {
		t.Errorf("groups: %d of %d", len(d.Principal.User.Groups), len(many))
	}
	huge := make([]any, 20000)
	for i := range huge {
		huge[i] = "g"
	}
	tokentest.WantRejected(t, "over the size bound", tokentest.Authenticate(s, tokentest.EC(t, idClaims(tokentest.Set("groups", huge)))))
	// Claims named like User fields or extra keys do not become them.
	d = tokentest.Authenticate(newOIDC(t), tokentest.EC(t, idClaims(
		tokentest.Set("extra", map[string]any{"example.com/tenant": []any{"t"}}),
		tokentest.Set("username", "admin"), tokentest.Set("uid", "0"),
		tokentest.Set("actor", map[string]any{"namespace": "kube-system", "name": "admin"}))))
	if d.Outcome != authn.Contributed {
		t.Fatalf("baseline: %v %q", d.Outcome, d.Reason)
	}
	if u := d.Principal.User; u.Name != idp+"#248289761001" || u.UID != "" || u.Extra != nil || len(u.Groups) != 0 || d.Principal.Actor != nil {
		t.Errorf("claims spoofed the User: %+v", d.Principal)
	}
}

// TestAttack9bOIDCForwardedUserConflict: a forwarded user that differs from
// the token's only by case, normalization or white space is a conflict.
func TestAttack9bOIDCForwardedUserConflict(t *testing.T) {
	for name, fwd := range map[string]string{
		"case":      "Alice@example.com",
		"NFD":       "alice@example.com",
		"trailing":  "alice@example.com ",
		"other":     "mallory@example.com",
		"fullwidth": "ａlice@example.com",
		"subject":   "system:serviceaccount:team-a:builder",
		"synthetic": authn.SyntheticNamePrefix + "team-a-key",
	} {
		if name == "NFD" {
			fwd = "ali\u0301ce@example.com"
		}
		for _, s := range bothCaches(t, oidc.WithUsernameClaim("email", "")) {
			// Prime the cache with the token alone, then present it beside
			// the forwarded user.
			tokentest.Authenticate(s, tokentest.EC(t, idClaims()))
			d := s.Authenticate(tokentest.Request(tokentest.EC(t, idClaims())), authn.Principal{User: authn.User{Name: fwd}})
			tokentest.WantRejected(t, "forwarded "+name, d)
		}
	}
}

// TestAttack9bOIDCRidesAServiceAccount: an ID token beside an Actor set
// earlier is refused, from the cache too, and a Credential already
// verified keeps the ID token from replacing it.
func TestAttack9bOIDCRidesAServiceAccount(t *testing.T) {
	tok := tokentest.EC(t, idClaims())
	for _, s := range bothCaches(t) {
		tokentest.Authenticate(s, tok)
		d := s.Authenticate(tokentest.Request(tok), authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "key-1", UID: "u"}})
		tokentest.WantRejected(t, "beside an Actor", d)
		prior := authn.Principal{User: authn.User{Name: "alice"}, Credential: &authn.Credential{Type: "serviceaccount", Issuer: tokentest.Issuer}}
		d = s.Authenticate(tokentest.Request(tok), prior)
		if d.Outcome == authn.Contributed {
			t.Errorf("an ID token replaced an already verified credential: %+v", d.Principal)
		}
	}
}

// swapKeys is a key set whose keys the test changes.
type swapKeys struct {
	mu   sync.Mutex
	keys map[string]crypto.PublicKey
}

func (s *swapKeys) Key(_ context.Context, kid string) (crypto.PublicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("kid: %w", jwks.ErrUnknownKey)
}

func (s *swapKeys) set(keys map[string]crypto.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

// TestAttack9bOIDCCacheAcrossKeyChanges: a token refused for an unknown key
// is accepted once the key is published (refusals are not cached); an
// accepted token is refused once its key is removed, or its kid names
// another key, although it is cached; and an unavailable set fails the
// cached token rather than accepting it.
func TestAttack9bOIDCCacheAcrossKeyChanges(t *testing.T) {
	k := tokentest.Keys()
	kid := tokentest.KubeKID(t, &k.EC.PublicKey)
	keys := &swapKeys{}
	s, err := oidc.New(idp, keys, oidc.WithAudiences(clientID), oidc.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	tok := tokentest.EC(t, idClaims())
	tokentest.WantRejected(t, "before the key", tokentest.Authenticate(s, tok))
	keys.set(map[string]crypto.PublicKey{kid: &k.EC.PublicKey})
	if d := tokentest.Authenticate(s, tok); d.Outcome != authn.Contributed {
		t.Fatalf("after the key was published: %v %q", d.Outcome, d.Reason)
	}
	keys.set(nil)
	tokentest.WantRejected(t, "key removed", tokentest.Authenticate(s, tok))
	keys.set(map[string]crypto.PublicKey{kid: &k.EC2.PublicKey})
	tokentest.WantRejected(t, "kid names another key", tokentest.Authenticate(s, tok))
	keys.set(map[string]crypto.PublicKey{kid: &k.EC.PublicKey})
	if d := tokentest.Authenticate(s, tok); d.Outcome != authn.Contributed {
		t.Fatalf("key back: %v %q", d.Outcome, d.Reason)
	}
	unavailable := &failingKeys{}
	s2, err := oidc.New(idp, unavailable, oidc.WithAudiences(clientID), oidc.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	unavailable.key = &k.EC.PublicKey
	if d := tokentest.Authenticate(s2, tok); d.Outcome != authn.Contributed {
		t.Fatalf("available: %v %q", d.Outcome, d.Reason)
	}
	unavailable.fail = true
	if d := tokentest.Authenticate(s2, tok); d.Outcome == authn.Contributed {
		t.Error("a cached token was accepted while the key set was unavailable")
	}
}

type failingKeys struct {
	key  crypto.PublicKey
	fail bool
}

func (f *failingKeys) Key(context.Context, string) (crypto.PublicKey, error) {
	if f.fail {
		return nil, fmt.Errorf("stale: %w", jwks.ErrKeysUnavailable)
	}
	return f.key, nil
}

// TestAttack9bOIDCCachedClaimsCheck: a token a claims check refuses stays
// refused on every try, and the refusal of one token does not leak into
// another's answer.
func TestAttack9bOIDCCachedClaimsCheck(t *testing.T) {
	s := newOIDC(t, oidc.WithClaimsCheck(func(c map[string]any) error {
		if c["sub"] == "bad" {
			return errors.New("refused by policy")
		}
		return nil
	}))
	bad, good := tokentest.EC(t, idClaims(tokentest.Set("sub", "bad"))), tokentest.EC(t, idClaims())
	for range 3 {
		tokentest.WantOutcome(t, "bad", tokentest.Authenticate(s, bad), authn.Rejected, "refused by policy")
		tokentest.WantOutcome(t, "good", tokentest.Authenticate(s, good), authn.Contributed, "")
	}
}

// TestAttack9bOIDCDuplicateClaims: claim names are case-sensitive (RFC 7519,
// section 4), so a token for "vault" that also carries a private "AUD"
// claim is for vault, and must not pass the audience check; a repeated sub
// is read as the mapping reads it (the last exact key), so the checks and
// the mapping never disagree on who the user is.
func TestAttack9bOIDCDuplicateClaims(t *testing.T) {
	k := tokentest.Keys()
	now := tokentest.Now()
	header := `{"alg":"ES256","kid":"` + tokentest.KubeKID(t, &k.EC.PublicKey) + `"}`
	base := fmt.Sprintf(`"iss":%q,"exp":%d,"iat":%d`, idp, now.Add(time.Hour).Unix(), now.Unix())
	s := newOIDC(t, oidc.WithCacheTTL(0))
	for name, tc := range map[string]struct{ payload, wantUser string }{
		"aud other then AUD client": {`{` + base + `,"sub":"a","aud":"vault","AUD":"` + clientID + `"}`, ""},
		"azp client then AZP other": {`{` + base + `,"sub":"a","aud":["vault","` + clientID + `"],"azp":"` + clientID + `","AZP":"vault"}`, ""},
		"sub twice":                 {`{` + base + `,"aud":"` + clientID + `","sub":"a","sub":"b"}`, idp + "#b"},
		"Sub after sub":             {`{` + base + `,"aud":"` + clientID + `","sub":"a","Sub":"b"}`, idp + "#a"},
	} {
		tok := ecSign(t, k.EC, header, tc.payload, sha256.Sum256, 32)
		d := tokentest.Authenticate(s, tok)
		if d.Outcome != authn.Contributed {
			continue
		}
		if tc.wantUser == "" {
			t.Errorf("%s: accepted as %q: the audience check read a claim of another name", name, d.Principal.User.Name)
			continue
		}
		if d.Principal.User.Name != tc.wantUser {
			t.Errorf("%s: user %q, want %q", name, d.Principal.User.Name, tc.wantUser)
		}
	}
}
