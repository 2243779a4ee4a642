package jwt_test

import (
	"errors"
	"net/http"
	"testing"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/internal/tokentest"
)

// Two clusters' ServiceAccount tokens share one chain through authn.Named:
// each token is verified by its issuer's strategy, with that issuer's keys,
// and Via names the strategy that did.
func TestNamedJWTIssuers(t *testing.T) {
	const issuerB = "https://oidc.cluster-b.example.com"
	k := tokentest.Keys()
	keysB, err := jwks.Static(tokentest.JWKS(t, &k.RSA2.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	clusterA := newJWT(t, jwtStaticKeys(t))
	clusterB, err := jwt.ServiceAccount(issuerB, keysB,
		jwt.WithAudiences(tokentest.Audience), jwt.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := authn.NewChain(clusterA, clusterB); err == nil {
		t.Fatal("two strategies named jwt accepted")
	}
	if _, err := authn.NewChain(authn.Named("jwt-unbuilt", &jwt.Strategy{})); !errors.Is(err, authn.ErrNotBuilt) {
		t.Errorf("named unbuilt jwt.Strategy: err = %v, want ErrNotBuilt", err)
	}
	creator := authn.StrategyFunc("creator", func(_ *http.Request, sofar authn.Principal) authn.Decision {
		if sofar.Actor == nil {
			return authn.Skip("no actor")
		}
		sofar.User = authn.User{Name: "alice"}
		return authn.Contribute(sofar, "creator")
	})
	chain, err := authn.NewChain(authn.Named("jwt-cluster-a", clusterA), authn.Named("jwt-cluster-b", clusterB), creator)
	if err != nil {
		t.Fatal(err)
	}

	tokenB := tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA2, tokentest.KubeKID(t, &k.RSA2.PublicKey), tokentest.Claims(tokentest.Set("iss", issuerB)))
	tests := map[string]struct {
		token      string
		wantIssuer string
		wantVia    []string
	}{
		"cluster A's token": {tokentest.RSA(t, tokentest.Claims()), tokentest.Issuer, []string{"jwt-cluster-a", "creator"}},
		"cluster B's token": {tokenB, issuerB, []string{"jwt-cluster-b", "creator"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p, trace, err := chain.Authenticate(tokentest.Request(tt.token))
			if err != nil {
				t.Fatalf("err = %v, trace %v", err, trace)
			}
			if diff := cmp.Diff(tt.wantVia, p.Via); diff != "" {
				t.Errorf("Via (-want +got):\n%s", diff)
			}
			if p.Credential == nil || p.Credential.Issuer != tt.wantIssuer {
				t.Errorf("credential %+v, want issuer %q", p.Credential, tt.wantIssuer)
			}
		})
	}

	// Cluster A's key does not vouch for cluster B's issuer: the token is
	// B's to judge, and B refuses it.
	forged := tokentest.RSA(t, tokentest.Claims(tokentest.Set("iss", issuerB)))
	_, trace, err := chain.Authenticate(tokentest.Request(forged))
	var ae *authn.Error
	if !errors.As(err, &ae) || ae.Strategy != "jwt-cluster-b" || !errors.Is(err, authn.ErrRejected) {
		t.Errorf("B's issuer signed with A's key: err = %v, trace %v; want a rejection by jwt-cluster-b", err, trace)
	}
	if len(trace) == 0 || trace[0].Strategy != "jwt-cluster-a" || trace[0].Outcome != authn.NotApplicable {
		t.Errorf("trace %v, want jwt-cluster-a to skip another issuer's token", trace)
	}
}
