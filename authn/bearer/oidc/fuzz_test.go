package oidc_test

import (
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/oidc"
	"github.com/authchain/authchain/internal/tokentest"
)

// FuzzOIDC feeds arbitrary bearer tokens to the strategy. It must never
// panic, never quote the token in a reason, decide the same with and
// without its cache, and contribute only for a token of its issuer whose
// signature golang-jwt's own Parse accepts with the public keys, making a
// User (never an Actor) and a Credential of type "oidc".
func FuzzOIDC(f *testing.F) {
	k := tokentest.Keys()
	now := tokentest.Now()
	valid := tokentest.EC(f, idClaims())
	for _, seed := range []string{
		valid,
		tokentest.RSA(f, idClaims()),
		tokentest.RSA(f, tokentest.Claims()),
		tokentest.EC(f, idClaims(tokentest.Set("exp", now.Add(-time.Hour).Unix()))),
		tokentest.EC(f, idClaims(tokentest.Set("aud", []any{clientID, "x"}), tokentest.Set("azp", clientID))),
		tokentest.EC(f, idClaims(tokentest.Set("sub", "system:admin"))),
		tokentest.EC(f, idClaims(tokentest.Set("email_verified", false))),
		tokentest.Mint(f, gojwt.SigningMethodHS256, tokentest.PKIXPEM(f, &k.EC.PublicKey), tokentest.KubeKID(f, &k.EC.PublicKey), idClaims()),
		tokentest.Tamper(f, valid, func(p string) string { return strings.Replace(p, "alice", "mallo", 1) }),
		tokentest.Raw(`{"alg":"ES256"}`, `{"iss":"`+idp+`","azp":[]}`, ""),
		tokentest.Raw(`{}`, `{}`, ""),
		"sha256~Zm9vYmFy",
	} {
		f.Add(seed)
	}
	opts := []oidc.Option{oidc.WithUsernameClaim("email", ""), oidc.WithGroupsClaim("groups", "idp:")}
	uncached := newOIDC(f, append(opts, oidc.WithCacheTTL(0))...)
	cached := newOIDC(f, opts...)
	f.Fuzz(func(t *testing.T, token string) {
		d := uncached.Authenticate(tokentest.Request(token), authn.Principal{})
		tokentest.CheckReasonHidesToken(t, d, token)
		dc := cached.Authenticate(tokentest.Request(token), authn.Principal{})
		if diff := cmp.Diff(d, dc); diff != "" && d.Outcome != authn.Failed {
			t.Fatalf("cached decision differs (-uncached +cached):\n%s", diff)
		}
		if d.Outcome != authn.Contributed {
			return
		}
		parsed, err := gojwt.Parse(token, func(tok *gojwt.Token) (any, error) {
			switch tok.Method.(type) {
			case *gojwt.SigningMethodECDSA:
				return &k.EC.PublicKey, nil
			case *gojwt.SigningMethodRSA, *gojwt.SigningMethodRSAPSS:
				return &k.RSA.PublicKey, nil
			}
			return nil, gojwt.ErrTokenUnverifiable
		}, gojwt.WithTimeFunc(tokentest.Now), gojwt.WithLeeway(oidc.DefaultClockSkew))
		if err != nil {
			t.Fatalf("contributed for a token golang-jwt refuses: %v", err)
		}
		if iss, _ := parsed.Claims.GetIssuer(); iss != idp {
			t.Fatalf("contributed for iss %q", iss)
		}
		p := d.Principal
		if p.Actor != nil || p.User.IsZero() || p.Credential == nil || p.Credential.Type != oidc.CredentialType {
			t.Fatalf("contributed %+v", p)
		}
	})
}
