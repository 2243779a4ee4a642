package verify_test

import (
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntest"
)

var update = flag.Bool("update", false, "rewrite testdata/cases.golden")

// TestCases runs the attacks and mistakes of testdata/cases.golden: each
// line is a case, the outcome and the reason the strategy gives. Tokens
// differ from run to run (fresh keys, random jti); what the strategy makes
// of them must not.
func TestCases(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	other := newMinter(t, issuer, func() time.Time { return start })
	stranger := newMinter(t, "https://other.example.com", func() time.Time { return start })
	s := newStrategy(t, m)
	der, err := x509.MarshalPKIXPublicKey(&m.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	with := func(mutate func(gojwt.MapClaims)) gojwt.MapClaims {
		c := wire()
		mutate(c)
		return c
	}
	valid := m.sign(t, human(), audience)
	parts := strings.Split(valid, ".")
	cases := []struct{ name, token string }{
		{"valid", valid},
		{"valid-synthetic", m.sign(t, synthetic(), audience)},
		{"valid-no-actor", m.sign(t, direct(), audience)},
		{"valid-forged-by-test", m.forge(t, gojwt.SigningMethodES256, m.key, nil, wire())},
		{"expired", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = start.Add(-5*time.Minute).Unix(), start.Add(-5*time.Minute).Unix(), start.Add(-time.Minute).Unix()
		}))},
		{"not-yet-valid", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) {
			c["nbf"] = start.Add(2 * time.Minute).Unix()
		}))},
		{"wrong-audience", m.sign(t, human(), "https://vault.example.com")},
		{"two-audiences", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) {
			c["aud"] = []string{audience, "https://vault.example.com"}
		}))},
		{"wrong-signer", other.sign(t, human(), audience)},
		{"wrong-signer-same-kid", m.forge(t, gojwt.SigningMethodES256, other.key, nil, wire())},
		{"unknown-kid", m.forge(t, gojwt.SigningMethodES256, m.key, map[string]any{"kid": "not-a-key"}, wire())},
		{"alg-none", m.forge(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": m.kid}, wire())},
		{"alg-hs256-public-key", m.forge(t, gojwt.SigningMethodHS256, der, nil, wire())},
		{"lifetime-too-long", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) {
			c["exp"] = start.Add(10 * time.Minute).Unix()
		}))},
		{"issued-in-future", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = start.Add(time.Minute).Unix(), start.Unix(), start.Add(2*time.Minute).Unix()
		}))},
		{"no-exp", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) { delete(c, "exp") }))},
		{"no-sub", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) { delete(c, "sub") }))},
		{"no-iat", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) { delete(c, "iat") }))},
		{"tampered-payload", parts[0] + "." + strings.TrimRight(encodeSegment(strings.Replace(decodeSegment(t, parts[1]), "alice@example.com", "admin@example.com", 1)), "=") + "." + parts[2]},
		// 86 base64url characters cut to 77: a length no encoding has, so
		// the result is malformed whatever bits the signature ends with.
		{"signature-cut", valid[:len(valid)-9]},
		{"wrong-typ", m.forge(t, gojwt.SigningMethodES256, m.key, map[string]any{"typ": "JWT"}, wire())},
		{"no-typ", m.forge(t, gojwt.SigningMethodES256, m.key, map[string]any{"typ": nil}, wire())},
		{"version-2", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) { c["authchain.dev/v"] = 2 }))},
		{"no-jti", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) { delete(c, "jti") }))},
		{"synthetic-without-actor", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) {
			delete(c, "act")
			c["sub"], c["authchain.dev/synthetic"] = authn.SyntheticNamePrefix+"x", true
		}))},
		{"human-named-like-synthetic", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) {
			c["sub"] = authn.SyntheticNamePrefix + "x"
		}))},
		{"subject-is-serviceaccount", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) {
			c["sub"] = "system:serviceaccount:team-a:runner-key"
		}))},
		{"bad-actor-subject", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) {
			c["act"] = map[string]any{"sub": "alice"}
		}))},
		{"group-with-newline", m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(func(c gojwt.MapClaims) {
			c["authchain.dev/user"] = map[string]any{"groups": []string{"a\nb"}}
		}))},
		{"crit-header", m.forge(t, gojwt.SigningMethodES256, m.key, map[string]any{"crit": []string{"exp"}}, wire())},
		{"not-a-jwt", "not-a-jwt"},
		{"other-issuer", stranger.sign(t, human(), audience)},
	}
	var b strings.Builder
	for _, c := range cases {
		r := authntest.NewRequest(authntest.WithHeader(assertion.AssertionHeader, c.token))
		d := s.Authenticate(r, authn.Principal{})
		fmt.Fprintf(&b, "%-28s %-15s %s\n", c.name, d.Outcome, d.Reason)
		if strings.Contains(d.Reason+d.Detail, c.token) {
			t.Errorf("%s: the decision quotes the token", c.name)
		}
	}
	const golden = "testdata/cases.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("decisions differ from %s (run with -update to accept):\n%s", golden, got)
	}
}
