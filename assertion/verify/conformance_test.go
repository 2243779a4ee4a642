package verify_test

import (
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/assertion/verify"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntest"
)

// TestConformance runs authntest's suite on the strategy, as it is and
// renamed by authn.Named.
func TestConformance(t *testing.T) {
	m := newMinter(t, issuer, time.Now)
	other := newMinter(t, issuer, time.Now)
	s, err := verify.New(issuer, m.keys(t), verify.WithAudiences(audience))
	if err != nil {
		t.Fatal(err)
	}
	expired := wire()
	expired["iat"], expired["nbf"], expired["exp"] = time.Now().Add(-4*time.Minute).Unix(), time.Now().Add(-4*time.Minute).Unix(), time.Now().Add(-2*time.Minute).Unix()
	good := m.sign(t, human(), audience)
	bad := []struct{ name, token string }{
		{"expired", m.forge(t, gojwt.SigningMethodES256, m.key, nil, expired)},
		{"another audience", m.sign(t, human(), "https://vault.example.com")},
		{"another signer", other.sign(t, human(), audience)},
		{"alg none", m.forge(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, nil, wire())},
		{"signature cut off", good[:len(good)-10]},
	}
	cfg := authntest.Config{
		Good:    authntest.Credential{Name: "assertion", Request: []authntest.RequestOption{present(good)}},
		Headers: []string{assertion.AssertionHeader},
		Secrets: []string{good},
	}
	for _, b := range bad {
		cfg.Bad = append(cfg.Bad, authntest.Credential{Name: b.name, Request: []authntest.RequestOption{present(b.token)}})
		cfg.Secrets = append(cfg.Secrets, b.token)
	}
	t.Run("assertion", func(t *testing.T) { authntest.Conformance(t, s, cfg) })
	t.Run("named", func(t *testing.T) { authntest.Conformance(t, authn.Named("backend", s), cfg) })
}
