package authnconfig

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/internal/tokentest"
)

// buildSigned loads and builds a chain of the given strategies (YAML list
// items, indented two), with the test JWKS at jwks.json; the context is
// ended so that no key set fetches.
func buildSigned(t *testing.T, strategies string) error {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), tokentest.StaticJWKS(t), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse([]byte(header+"spec:\n  strategies:\n"+strategies), WithDir(dir))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := cfg.Build(ctx, Deps{Now: tokentest.Now})
	if err == nil {
		b.Close()
	}
	return err
}

const (
	attackALB = "  - alb:\n      region: %s\n      loadBalancerARN: arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188\n" +
		"      issuer: https://idp.example.com\n      clientID: client-1\n"
)

// TestAttack10bConfigBaseline: each signed kind builds from a good
// configuration, so that the refusals below are the attacks' doing.
func TestAttack10bConfigBaseline(t *testing.T) {
	for name, s := range map[string]string{
		"pomerium": "  - pomerium:\n      route: app.example.com\n      jwksFile: jwks.json\n",
		"iap":      "  - iap:\n      audience: /projects/1/global/backendServices/2\n      jwksFile: jwks.json\n",
		"alb":      strings.Replace(attackALB, "%s", "eu-west-1", 1),
		"teleport": "  - teleport:\n      cluster: t.example.com\n      appURI: https://app.example.com\n      jwksURL: https://t.example.com/.well-known/jwks.json\n",
	} {
		if err := buildSigned(t, s); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestAttack10bConfigALBRegionInjection: the region becomes part of the key
// URL's host; anything but a plain AWS region name is refused.
func TestAttack10bConfigALBRegionInjection(t *testing.T) {
	for _, region := range []string{
		`"eu-west-1.evil.example.com/"`, `"eu-west-1.evil.example.com#"`, `"evil.example.com/eu-west-1"`, `"eu-west-1/"`,
		`"eu-west-1?"`, `"eu-west-1@evil.example.com"`, `"EU-WEST-1"`, `"eu-west-1\n"`, `"eu-west-1 "`, `"eu-west-1:443"`,
		`"eu-west-1%2fevil"`, `"еu-west-1"`, `"eu-west-"`, `"-1"`,
	} {
		if err := buildSigned(t, strings.Replace(attackALB, "%s", region, 1)); err == nil {
			t.Errorf("region %s: built", region)
		}
	}
}

// TestAttack10bConfigALBARN: a load balancer ARN with trailing characters,
// a wildcard or another service's ARN is refused.
func TestAttack10bConfigALBARN(t *testing.T) {
	const arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
	good := strings.Replace(attackALB, "%s", "eu-west-1", 1)
	for _, bad := range []string{
		`"` + arn + `\n"`, `"` + arn + ` "`, `"` + arn + `/"`, `"` + arn + `*"`, `"*"`,
		`"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/web/50dc6c495c0c9188"`,
		`"arn:aws:elasticloadbalancing:eu-west-1:12345678901:loadbalancer/app/web/50dc6c495c0c9188"`,
	} {
		if err := buildSigned(t, strings.Replace(good, arn, bad, 1)); err == nil {
			t.Errorf("ARN %s: built", bad)
		}
	}
}

// TestAttack10bConfigPlainHTTPKeys: a signed kind's jwksURL over plain http
// is refused, loopback included (configuration has no insecure switch).
func TestAttack10bConfigPlainHTTPKeys(t *testing.T) {
	for _, u := range []string{"http://app.example.com/.well-known/pomerium/jwks.json", "http://127.0.0.1:8080/jwks", "http://localhost/jwks", "//app.example.com/jwks", "https://u:p@app.example.com/jwks"} {
		for kind, s := range map[string]string{
			"pomerium": "  - pomerium:\n      route: app.example.com\n      jwksURL: " + u + "\n",
			"iap":      "  - iap:\n      audience: /projects/1/global/backendServices/2\n      jwksURL: " + u + "\n",
			"teleport": "  - teleport:\n      cluster: t.example.com\n      appURI: https://app.example.com\n      jwksURL: " + u + "\n",
		} {
			if err := buildSigned(t, s); err == nil {
				t.Errorf("%s jwksURL %s: built", kind, u)
			}
		}
	}
}

// TestAttack10bConfigTwoOfAKind: two strategies of one signed kind would
// share a name in the chain; loading refuses rather than shadowing one.
// Both key sources at once, or none where one is required, are refused
// too.
func TestAttack10bConfigTwoOfAKind(t *testing.T) {
	for name, s := range map[string]string{
		"two pomerium": "  - pomerium:\n      route: a.example.com\n      jwksFile: jwks.json\n  - pomerium:\n      route: b.example.com\n      jwksFile: jwks.json\n",
		"two iap": "  - iap:\n      audience: /projects/1/global/backendServices/2\n      jwksFile: jwks.json\n" +
			"  - iap:\n      audience: /projects/1/global/backendServices/3\n      jwksFile: jwks.json\n",
		"pomerium both sources": "  - pomerium:\n      route: a.example.com\n      jwksFile: jwks.json\n      jwksURL: https://a.example.com/.well-known/pomerium/jwks.json\n",
		"pomerium no source":    "  - pomerium:\n      route: a.example.com\n",
		"teleport no source":    "  - teleport:\n      cluster: t.example.com\n      appURI: https://app.example.com\n",
		"pomerium empty issuer": "  - pomerium:\n      route: a.example.com\n      issuers: [\"\"]\n      jwksFile: jwks.json\n",
		"iap bad audience":      "  - iap:\n      audience: my-backend\n      jwksFile: jwks.json\n",
		"teleport empty trait":  "  - teleport:\n      cluster: t.example.com\n      appURI: https://app.example.com\n      jwksFile: jwks.json\n      traits: [\"\"]\n",
	} {
		if err := buildSigned(t, s); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

// TestAttack10bIDTokenBesideServiceAccounts: with the ServiceAccount
// issuer's keys (RSA) and the identity provider's (EC) kept apart, a token
// is judged only with its own issuer's keys and audience: the cluster's key
// cannot sign an ID token, the provider's key cannot sign a ServiceAccount
// token, an ID token replayed with the cluster's audience or under a
// look-alike issuer is not taken, and an ID token cannot name a
// ServiceAccount.
func TestAttack10bIDTokenBesideServiceAccounts(t *testing.T) {
	dir := t.TempDir()
	k := tokentest.Keys()
	for name, data := range map[string][]byte{"sa.json": tokentest.JWKS(t, &k.RSA.PublicKey), "idp.json": tokentest.JWKS(t, &k.EC.PublicKey)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := Parse([]byte(header+"spec:\n  strategies:\n  - jwt:\n      issuer: "+tokentest.Issuer+
		"\n      jwksFile: sa.json\n      audiences: ["+tokentest.Audience+"]\n  - oidc:\n      issuer: "+attackIDP+
		"\n      jwksFile: idp.json\n      audiences: [web]\n      claimMappings: {username: {claim: email, prefix: \"\"}}\n"), WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	built, err := cfg.Build(context.Background(), Deps{Now: tokentest.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	if _, _, err := built.Chain.Authenticate(tokentest.Request(attackIDToken(t))); err != nil {
		t.Fatalf("baseline ID token: %v", err)
	}
	idClaims := func(mutate ...func(gojwt.MapClaims)) gojwt.MapClaims {
		now := tokentest.Now()
		c := gojwt.MapClaims{"iss": attackIDP, "sub": "u-1", "aud": "web", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "email": "alice@example.com"}
		for _, m := range mutate {
			m(c)
		}
		return c
	}
	for name, tok := range map[string]string{
		"ID token signed with the cluster's key":    tokentest.RSA(t, idClaims()),
		"SA token signed with the provider's key":   tokentest.EC(t, tokentest.Claims()),
		"ID token for the cluster's audience":       tokentest.EC(t, idClaims(tokentest.Set("aud", tokentest.Audience))),
		"ID token under a trailing-slash issuer":    tokentest.EC(t, idClaims(tokentest.Set("iss", attackIDP+"/"))),
		"ID token under the cluster's issuer":       tokentest.EC(t, idClaims(tokentest.Set("iss", tokentest.Issuer))),
		"ID token naming a ServiceAccount":          tokentest.EC(t, idClaims(tokentest.Set("email", "system:serviceaccount:team-a:builder"))),
		"ID token with an ISS claim beside iss":     tokentest.EC(t, idClaims(tokentest.Set("ISS", tokentest.Issuer))),
		"ID token with alg none":                    tokentest.Mint(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, tokentest.KubeKID(t, &k.EC.PublicKey), idClaims()),
		"ID token with the cluster's kid on EC key": tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, tokentest.KubeKID(t, &k.RSA.PublicKey), idClaims()),
	} {
		if p, _, err := built.Chain.Authenticate(tokentest.Request(tok)); err == nil {
			t.Errorf("%s: authenticated %q (actor %v)", name, p.User.Name, p.Actor)
		}
	}
}
