package authnconfig

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/tokentest"
)

const attackIDP = "https://idp.example.com"

// attackOIDC builds a chain of a jwt strategy for ServiceAccount tokens and
// an oidc strategy with the given extra YAML under it (indented six).
func attackOIDC(t *testing.T, oidcYAML string) (*Built, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), tokentest.StaticJWKS(t), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse([]byte(header+"spec:\n  strategies:\n  - jwt:\n      issuer: "+tokentest.Issuer+
		"\n      jwksFile: jwks.json\n      audiences: ["+tokentest.Audience+"]\n  - oidc:\n      issuer: "+attackIDP+
		"\n      jwksFile: jwks.json\n      audiences: [web]\n"+oidcYAML), WithDir(dir))
	if err != nil {
		return nil, err
	}
	return cfg.Build(context.Background(), Deps{Now: tokentest.Now})
}

func attackIDToken(t *testing.T, mutate ...func(gojwt.MapClaims)) string {
	now := tokentest.Now()
	c := gojwt.MapClaims{
		"iss": attackIDP, "sub": "u-1", "aud": "web", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"email": "alice@example.com", "email_verified": true, "groups": []any{"dev"}, "name": "Alice",
	}
	for _, m := range mutate {
		m(c)
	}
	return tokentest.EC(t, c)
}

// TestAttack9bConfigSameIssuerTwice: one issuer in two token strategies
// (jwt and oidc, or two oidc) makes a token's meaning depend on strategy
// order; Kubernetes refuses duplicate issuers, and so must loading.
func TestAttack9bConfigSameIssuerTwice(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), tokentest.StaticJWKS(t), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, strategies := range map[string]string{
		"jwt and oidc": "  - jwt:\n      issuer: " + attackIDP + "\n      jwksFile: jwks.json\n      audiences: [web]\n" +
			"  - oidc:\n      issuer: " + attackIDP + "\n      jwksFile: jwks.json\n      audiences: [web]\n",
		"two oidc": "  - oidc:\n      name: a\n      issuer: " + attackIDP + "\n      jwksFile: jwks.json\n      audiences: [web]\n" +
			"  - oidc:\n      name: b\n      issuer: " + attackIDP + "\n      jwksFile: jwks.json\n      audiences: [web]\n" +
			"      claimMappings: {username: {claim: email, prefix: \"\"}}\n",
	} {
		cfg, err := Parse([]byte(header+"spec:\n  strategies:\n"+strategies), WithDir(dir))
		if err != nil {
			continue // refused at load: held
		}
		built, err := cfg.Build(context.Background(), Deps{Now: tokentest.Now})
		if err != nil {
			continue
		}
		built.Close()
		t.Errorf("%s: a configuration with the issuer %s in two token strategies loads", name, attackIDP)
	}
}

// TestAttack9bCELMappingsHostile: expressions given hostile claims fail
// closed: wrong types, missing keys, reserved results, values over the
// cost limit; and the reason never quotes a claim.
func TestAttack9bCELMappingsHostile(t *testing.T) {
	bigList := make([]any, 4000)
	for i := range bigList {
		bigList[i] = "x"
	}
	for _, tc := range []struct {
		name, mappings string
		claims         []func(gojwt.MapClaims)
	}{
		{"username int", `{username: {expression: "claims.n"}}`, []func(gojwt.MapClaims){tokentest.Set("n", 7)}},
		{"username list", `{username: {expression: "claims.groups"}}`, nil},
		{"username map", `{username: {expression: "claims.m"}}`, []func(gojwt.MapClaims){tokentest.Set("m", map[string]any{"a": "b"})}},
		{"username null", `{username: {expression: "claims.n"}}`, []func(gojwt.MapClaims){tokentest.Set("n", nil)}},
		{"username empty", `{username: {expression: "claims.name.substring(0, 0)"}}`, nil},
		{"username system:", `{username: {expression: "claims.name"}}`, []func(gojwt.MapClaims){tokentest.Set("name", "system:admin")}},
		{"username SYSTEM: lower()d", `{username: {expression: "claims.name.lowerAscii()"}}`, []func(gojwt.MapClaims){tokentest.Set("name", "SYSTEM:ADMIN")}},
		{"username synthetic", `{username: {expression: "claims.name"}}`, []func(gojwt.MapClaims){tokentest.Set("name", authn.SyntheticNamePrefix+"ns-key")}},
		{"username newline", `{username: {expression: "claims.name"}}`, []func(gojwt.MapClaims){tokentest.Set("name", "alice\nadmin")}},
		{"username fullwidth system", `{username: {expression: "claims.name"}}`, []func(gojwt.MapClaims){tokentest.Set("name", "ｓｙｓｔｅｍ:admin")}},
		{"username missing", `{username: {expression: "claims.nickname"}}`, nil},
		{"groups nested", `{username: {claim: sub, prefix: ""}, groups: {expression: "claims.groups"}}`, []func(gojwt.MapClaims){tokentest.Set("groups", []any{[]any{"a"}})}},
		{"groups with number", `{username: {claim: sub, prefix: ""}, groups: {expression: "claims.groups"}}`, []func(gojwt.MapClaims){tokentest.Set("groups", []any{"a", 1})}},
		{"groups map", `{username: {claim: sub, prefix: ""}, groups: {expression: "claims.groups"}}`, []func(gojwt.MapClaims){tokentest.Set("groups", map[string]any{"a": "b"})}},
		{"groups system", `{username: {claim: sub, prefix: ""}, groups: {expression: "claims.groups"}}`, []func(gojwt.MapClaims){tokentest.Set("groups", []any{"dev", "System:Masters"})}},
		{"groups prefix claim system", `{username: {claim: sub, prefix: ""}, groups: {claim: groups, prefix: ""}}`, []func(gojwt.MapClaims){tokentest.Set("groups", "system:masters")}},
		{"uid bidi", `{username: {claim: sub, prefix: ""}, uid: {expression: "claims.name"}}`, []func(gojwt.MapClaims){tokentest.Set("name", "\u202eu")}},
		{"extra value control", `{username: {claim: sub, prefix: ""}, extra: [{key: example.com/t, valueExpression: "claims.name"}]}`, []func(gojwt.MapClaims){tokentest.Set("name", "a\x1bb")}},
		{"extra list of maps", `{username: {claim: sub, prefix: ""}, extra: [{key: example.com/t, valueExpression: "claims.l"}]}`, []func(gojwt.MapClaims){tokentest.Set("l", []any{map[string]any{}})}},
		{"cost over the limit", `{username: {claim: sub, prefix: ""}, extra: [{key: example.com/t, valueExpression: "claims.l.map(x, claims.name.repeat(1) + x).filter(y, y.matches('^[a-z]+$') && y.contains('zz') == false && y.endsWith('q') == false)"}]}`,
			[]func(gojwt.MapClaims){tokentest.Set("l", bigList), tokentest.Set("name", strings.Repeat("a", 1000))}},
		{"email unverified by claim", `{username: {claim: email, prefix: ""}}`, []func(gojwt.MapClaims){tokentest.Set("email_verified", "true")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			built, err := attackOIDC(t, "      claimMappings: "+tc.mappings+"\n")
			if err != nil {
				if tc.name == "cost over the limit" {
					return // refused at load: held
				}
				t.Fatal(err)
			}
			defer built.Close()
			tok := attackIDToken(t, tc.claims...)
			p, _, err := built.Chain.Authenticate(tokentest.Request(tok))
			if err == nil {
				t.Fatalf("authenticated %+v", p)
			}
			var e *authn.Error
			if !asError(err, &e) || authn.StatusCode(err) != 401 {
				t.Fatalf("err %v, want 401", err)
			}
			for _, v := range []string{"system:admin", "alice", "Alice", "SYSTEM", "xxxx", "aaaa"} {
				if strings.Contains(e.Reason, v) {
					t.Errorf("reason %q quotes a claim", e.Reason)
				}
			}
		})
	}
}

// TestAttack9bCELRulesHostile: claim validation rules over hostile claims
// fail closed, whether the claim is missing, of another type, or huge.
func TestAttack9bCELRulesHostile(t *testing.T) {
	bigList := make([]any, 4000)
	for i := range bigList {
		bigList[i] = strings.Repeat("a", 1)
	}
	rules := `      claimValidationRules:
      - {expression: "claims.groups.all(g, g.startsWith('d'))", message: "groups must start with d"}
      - {expression: "claims.exp - claims.iat <= 86400", message: "lifetime too long"}
`
	built, err := attackOIDC(t, rules)
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	if _, _, err := built.Chain.Authenticate(tokentest.Request(attackIDToken(t))); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	for name, m := range map[string][]func(gojwt.MapClaims){
		"groups missing":    {tokentest.Unset("groups")},
		"groups a string":   {tokentest.Set("groups", "dev")},
		"groups numbers":    {tokentest.Set("groups", []any{1})},
		"groups nested":     {tokentest.Set("groups", []any{[]any{"dev"}})},
		"exp a string":      {tokentest.Set("exp", "99999999999")},
		"lifetime too long": {tokentest.Set("exp", tokentest.Now().Add(48*time.Hour).Unix())},
		"groups one bad":    {tokentest.Set("groups", append(bigList[:len(bigList):len(bigList)], "x"))},
	} {
		_, _, err := built.Chain.Authenticate(tokentest.Request(attackIDToken(t, m...)))
		if authn.StatusCode(err) != 401 {
			t.Errorf("%s: %v, want 401", name, err)
		}
	}
}

// TestAttack9bCELExpressionCannotReachActor: no mapping or rule can set
// the Actor or Credential; a claim shaped like a ServiceAccount leaves the
// Actor nil.
func TestAttack9bCELExpressionCannotReachActor(t *testing.T) {
	built, err := attackOIDC(t, "      claimMappings: {username: {claim: sub, prefix: \"idp:\"}, extra: [{key: example.com/actor, valueExpression: \"claims.actor\"}]}\n")
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	tok := attackIDToken(t, tokentest.Set("actor", "system:serviceaccount:kube-system:admin"),
		tokentest.Set("kubernetes.io", map[string]any{"namespace": "kube-system", "serviceaccount": map[string]any{"name": "admin", "uid": "u"}}))
	p, _, err := built.Chain.Authenticate(tokentest.Request(tok))
	if err != nil {
		t.Fatal(err)
	}
	if p.Actor != nil || p.User.Name != "idp:u-1" || p.Credential == nil || p.Credential.Type != "oidc" {
		t.Errorf("principal %+v", p)
	}
}
