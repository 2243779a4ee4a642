package oidc_test

import (
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/oidc"
	"github.com/authchain/authchain/authntest"
)

// TestConformance runs authntest's suite on the strategy with ID tokens
// minted by an authntest.Issuer, as it is and renamed by authn.Named.
func TestConformance(t *testing.T) {
	iss := authntest.NewIssuer(t, "https://idp.example.com")
	keys, err := jwks.Static(iss.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	s, err := oidc.New(iss.URL(), keys, oidc.WithAudiences(clientID), oidc.WithUsernameClaim("email", ""))
	if err != nil {
		t.Fatal(err)
	}
	claims := func(mutate func(map[string]any)) map[string]any {
		now := time.Now()
		c := map[string]any{
			"iss": iss.URL(), "sub": "u-1", "aud": clientID, "email": "alice@example.com",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
		if mutate != nil {
			mutate(c)
		}
		return c
	}
	good := iss.Sign(t, claims(nil))
	bad := []struct{ name, token string }{
		{"expired", iss.Sign(t, claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }))},
		{"another client", iss.Sign(t, claims(func(c map[string]any) { c["aud"] = "vault" }))},
		{"email not verified", iss.Sign(t, claims(func(c map[string]any) { c["email_verified"] = false }))},
		{"system: name", iss.Sign(t, claims(func(c map[string]any) { c["email"] = "system:admin" }))},
		{"signed by a key not in the set", authntest.NewIssuer(t, iss.URL()).Sign(t, claims(nil))},
		{"signature cut off", good[:len(good)-10]},
	}
	cfg := authntest.Config{
		Good:    authntest.Credential{Name: "ID token", Request: []authntest.RequestOption{authntest.WithBearer(good)}},
		Headers: []string{bearer.AuthorizationHeader},
		Secrets: []string{good},
	}
	for _, b := range bad {
		cfg.Bad = append(cfg.Bad, authntest.Credential{Name: b.name, Request: []authntest.RequestOption{authntest.WithBearer(b.token)}})
		cfg.Secrets = append(cfg.Secrets, b.token)
	}
	t.Run("oidc", func(t *testing.T) { authntest.Conformance(t, s, cfg) })
	t.Run("named", func(t *testing.T) { authntest.Conformance(t, authn.Named("idp-a", s), cfg) })
}
