package verify_test

import (
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntest"
	"github.com/authchain/authchain/internal/tokentest"
)

// FuzzVerify feeds arbitrary header values to the strategy. It must never
// panic, never quote the value in a reason or detail, and contribute only
// for an assertion whose signature golang-jwt's own Parse accepts with the
// minting key, for the configured issuer and audience, with a User, and a
// Credential of type "assertion".
func FuzzVerify(f *testing.F) {
	m := newMinter(f, issuer, func() time.Time { return start })
	s := newStrategy(f, m)
	valid := m.sign(f, human(), audience)
	for _, seed := range []string{
		valid,
		m.sign(f, synthetic(), audience),
		m.sign(f, direct(), "https://vault.example.com"),
		m.forge(f, gojwt.SigningMethodES256, m.key, nil, wire()),
		m.forge(f, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, nil, wire()),
		strings.Replace(valid, ".", "..", 1),
		tokentest.Raw(`{"alg":"ES256","typ":"`+assertion.TokenType+`"}`, `{"iss":"`+issuer+`","act":[]}`, ""),
		tokentest.Raw(`{}`, `{}`, ""),
		"not-a-jwt",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		r := authntest.NewRequest()
		r.Header[assertion.AssertionHeader] = []string{token}
		d := s.Authenticate(r, authn.Principal{})
		if len(token) >= 8 && strings.Contains(d.Reason+d.Detail, token) {
			t.Fatalf("decision quotes the value: %q %q", d.Reason, d.Detail)
		}
		if d.Outcome != authn.Contributed {
			return
		}
		parsed, err := gojwt.Parse(token, func(*gojwt.Token) (any, error) { return &m.key.PublicKey, nil },
			gojwt.WithValidMethods([]string{"ES256"}), gojwt.WithTimeFunc(func() time.Time { return start }),
			gojwt.WithLeeway(30*time.Second), gojwt.WithIssuer(issuer), gojwt.WithAudience(audience))
		if err != nil {
			t.Fatalf("contributed for an assertion golang-jwt refuses: %v", err)
		}
		if parsed.Header["typ"] != assertion.TokenType {
			t.Fatalf("contributed for typ %v", parsed.Header["typ"])
		}
		p := d.Principal
		if p.User.IsZero() || p.Credential == nil || p.Credential.Type != "assertion" || p.Synthetic && p.Actor == nil {
			t.Fatalf("contributed %+v", p)
		}
	})
}
