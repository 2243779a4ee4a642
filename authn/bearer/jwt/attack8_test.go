package jwt_test

// Adversarial tests of jwt's options after the rename, of jwt strategies
// under authn.Named, and of an unbuilt zero value.

import (
	"slices"
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/internal/tokentest"
)

func TestAttack8JWTRefusesNonsenseOptions(t *testing.T) {
	keys := jwtStaticKeys(t)
	aud := jwt.WithAudiences(tokentest.Audience)
	for name, opts := range map[string][]jwt.Option{
		"nil option":            {aud, nil},
		"no audience":           {},
		"WithAudiences()":       {jwt.WithAudiences()},
		"empty audience":        {jwt.WithAudiences("")},
		"empty among good":      {jwt.WithAudiences(tokentest.Audience, "")},
		"negative skew":         {aud, jwt.WithClockSkew(-time.Second)},
		"huge skew":             {aud, jwt.WithClockSkew(24 * time.Hour)},
		"WithAlgorithms()":      {aud, jwt.WithAlgorithms()},
		"none":                  {aud, jwt.WithAlgorithms("none")},
		"NONE":                  {aud, jwt.WithAlgorithms("NONE")},
		"hs256 lower":           {aud, jwt.WithAlgorithms("hs256")},
		"HS256 among good":      {aud, jwt.WithAlgorithms("RS256", "HS256")},
		"unknown alg":           {aud, jwt.WithAlgorithms("RS1")},
		"rs256 lower":           {aud, jwt.WithAlgorithms("rs256")},
		"negative cache TTL":    {aud, jwt.WithCacheTTL(-1)},
		"cache size 0":          {aud, jwt.WithCacheSize(0)},
		"cache size negative":   {aud, jwt.WithCacheSize(-5)},
		"nil clock":             {aud, jwt.WithClock(nil)},
		"bound kind pod":        {aud, jwt.WithBoundObjectKinds("pod")},
		"bound kind empty":      {aud, jwt.WithBoundObjectKinds("")},
		"bound kind upper":      {aud, jwt.WithBoundObjectKinds("ValidatingWebhookConfiguration")},
		"bound kind with slash": {aud, jwt.WithBoundObjectKinds("a/b")},
	} {
		err := tokentest.NoPanic(func() error {
			_, err := jwt.ServiceAccount(tokentest.Issuer, keys, opts...)
			return err
		})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, issuer := range map[string]string{"empty issuer": ""} {
		if _, err := jwt.ServiceAccount(issuer, keys, aud); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := jwt.ServiceAccount(tokentest.Issuer, nil, aud); err == nil {
		t.Error("nil key set accepted")
	}
}

// TestAttack8JWTAlgorithmsOptionReplacesNotWidens: a later WithAlgorithms
// narrows the set; the defaults do not linger beside it.
func TestAttack8JWTAlgorithmsOptionReplacesNotWidens(t *testing.T) {
	s := newJWT(t, jwtStaticKeys(t), jwt.WithAlgorithms("ES256"), jwt.WithCacheTTL(0))
	d := tokentest.Authenticate(s, tokentest.RSA(t, tokentest.Claims()))
	if d.Outcome == authn.Contributed {
		t.Error("an RS256 token was accepted after WithAlgorithms(\"ES256\")")
	}
}

func TestAttack8JWTNamedUnbuiltAndEmptyNameRefused(t *testing.T) {
	if _, err := authn.NewChain(authn.Named("issuer-a", &jwt.Strategy{})); err == nil {
		t.Error("Named hid a zero jwt.Strategy")
	}
	if _, err := authn.NewChain(authn.Named("", newJWT(t, jwtStaticKeys(t)))); err == nil {
		t.Error("Named with an empty name accepted")
	}
	if _, err := authn.NewChain(newJWT(t, jwtStaticKeys(t)), authn.Named("jwt", newJWT(t, jwtStaticKeys(t)))); err == nil {
		t.Error("a Named jwt strategy called \"jwt\" beside the unnamed one accepted")
	}
}

// TestAttack8JWTTwoNamedIssuersStayApart: a token of issuer B is verified
// by the strategy named for B, never by A's (Via says which), and one of an
// unknown issuer by neither.
func TestAttack8JWTTwoNamedIssuersStayApart(t *testing.T) {
	const issuerB = "https://issuer-b.example.com"
	keys := jwtStaticKeys(t)
	a := newJWT(t, keys)
	b, err := jwt.ServiceAccount(issuerB, keys, jwt.WithAudiences(tokentest.Audience), jwt.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := authn.NewChain(authn.Named("issuer-a", a), authn.Named("issuer-b", b))
	if err != nil {
		t.Fatal(err)
	}
	outcomes := func(token string) []string {
		_, tr, _ := chain.Authenticate(tokentest.Request(token))
		var out []string
		for _, e := range tr {
			out = append(out, e.Strategy+"="+e.Outcome.String())
		}
		return out
	}
	for _, tc := range []struct {
		iss  string
		want []string
	}{
		{tokentest.Issuer, []string{"issuer-a=contributed", "issuer-b=not-applicable"}},
		{issuerB, []string{"issuer-a=not-applicable", "issuer-b=contributed"}},
	} {
		got := outcomes(tokentest.RSA(t, tokentest.Claims(tokentest.Set("iss", tc.iss))))
		if !slices.Equal(got, tc.want) {
			t.Errorf("token of %s: trace %q, want %q", tc.iss, got, tc.want)
		}
	}
	got := outcomes(tokentest.RSA(t, tokentest.Claims(tokentest.Set("iss", "https://issuer-c.example.com"))))
	for _, e := range got {
		if e == "issuer-a=contributed" || e == "issuer-b=contributed" {
			t.Errorf("token of an unknown issuer: %q", got)
		}
	}
}
