package jwt_test

import (
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/authntest"
)

// TestConformance runs authntest's suite on the JWT strategy with tokens
// minted by an authntest.Issuer, as it is and renamed by authn.Named.
func TestConformance(t *testing.T) {
	const audience = "https://api.example.com"
	iss := authntest.NewIssuer(t, "https://issuer.example")
	keys, err := jwks.Static(iss.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.ServiceAccount(iss.URL(), keys, jwt.WithAudiences(audience))
	if err != nil {
		t.Fatal(err)
	}
	sa := authntest.ServiceAccountClaims{Namespace: "team", Name: "ci-bot", UID: "uid-ci-bot", Audiences: []string{audience}}
	good := iss.ServiceAccountToken(t, sa)
	expired, wrongAudience, future := sa, sa, sa
	expired.IssuedAt, expired.Lifetime = time.Now().Add(-2*time.Hour), time.Hour
	wrongAudience.Audiences = []string{"https://vault.example.com"}
	future.IssuedAt = time.Now().Add(time.Hour)
	noUID := sa
	noUID.UID = ""
	bad := []struct{ name, token string }{
		{"expired", iss.ServiceAccountToken(t, expired)},
		{"another audience", iss.ServiceAccountToken(t, wrongAudience)},
		{"not valid yet", iss.ServiceAccountToken(t, future)},
		{"signed by a key not in the set", authntest.NewIssuer(t, iss.URL()).ServiceAccountToken(t, sa)},
		{"signature cut off", good[:len(good)-10]},
		{"no ServiceAccount uid", iss.ServiceAccountToken(t, noUID)},
	}
	cfg := authntest.Config{
		Good:    authntest.Credential{Name: "ServiceAccount token", Request: []authntest.RequestOption{authntest.WithBearer(good)}},
		Headers: []string{bearer.AuthorizationHeader},
		Secrets: []string{good},
	}
	for _, b := range bad {
		cfg.Bad = append(cfg.Bad, authntest.Credential{Name: b.name, Request: []authntest.RequestOption{authntest.WithBearer(b.token)}})
		cfg.Secrets = append(cfg.Secrets, b.token)
	}
	t.Run("jwt", func(t *testing.T) { authntest.Conformance(t, s, cfg) })
	// authn.Named keeps what the suite checks: the renamed strategy still
	// declares the headers it reads.
	t.Run("named", func(t *testing.T) { authntest.Conformance(t, authn.Named("cluster-a", s), cfg) })
}
