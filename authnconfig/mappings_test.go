package authnconfig

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/tokentest"
)

// TestClaimMappings builds an oidc strategy from a file and checks what its
// claim mappings make of an ID token, and that a mapping failing at run
// time refuses the request with a reason that names the field only.
func TestClaimMappings(t *testing.T) {
	const idp = "https://idp.example.com"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), tokentest.StaticJWKS(t), 0o600); err != nil {
		t.Fatal(err)
	}
	now := tokentest.Now()
	token := tokentest.EC(t, gojwt.MapClaims{
		"iss": idp, "sub": "u-1", "aud": "web", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"email": "alice@example.com", "email_verified": true, "groups": []any{"dev", "ops"}, "tenant": "blue",
		"secret_number": 42,
	})
	for _, tc := range []struct {
		name, mappings string
		user           authn.User
		reason         string
	}{
		{name: "no mappings: issuer#sub", user: authn.User{Name: idp + "#u-1"}},
		{name: "claims", mappings: `{username: {claim: email, prefix: ""}, groups: {claim: groups, prefix: "idp:"}, uid: {claim: sub}, email: {claim: email}}`,
			user: authn.User{Name: "alice@example.com", UID: "u-1", Email: "alice@example.com", Groups: []string{"idp:dev", "idp:ops"}}},
		{name: "expressions", mappings: `{username: {expression: "'idp:' + claims.sub"}, groups: {expression: "claims.groups.map(g, 'team-' + g)"}, ` +
			`extra: [{key: example.com/tenant, valueExpression: "claims.tenant"}, {key: example.com/none, valueExpression: "''"}]}`,
			user: authn.User{Name: "idp:u-1", Groups: []string{"team-dev", "team-ops"}, Extra: map[string][]string{"example.com/tenant": {"blue"}}}},
		{name: "missing claim fails closed", mappings: `{username: {expression: "claims.nickname"}}`,
			reason: "token claims: claimMappings.username.expression could not be evaluated (a key or field is missing; test it with has() or 'in' first)"},
		{name: "wrong type fails closed", mappings: `{username: {expression: "claims.secret_number"}}`,
			reason: "token claims: claimMappings.username.expression did not evaluate to a string"},
		{name: "extra of the wrong type", mappings: `{username: {claim: sub, prefix: ""}, extra: [{key: example.com/n, valueExpression: "claims.secret_number"}]}`,
			reason: "token claims: claimMappings.extra[example.com/n] did not evaluate to a string or a list of strings"},
		{name: "system: group refused", mappings: `{username: {claim: sub, prefix: ""}, groups: {expression: "['system:masters']"}}`,
			reason: "token claims map to a group name that uses the reserved system: prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ""
			if tc.mappings != "" {
				m = "\n      claimMappings: " + tc.mappings
			}
			cfg, err := Parse([]byte(header+"spec:\n  strategies:\n  - jwt:\n      issuer: "+tokentest.Issuer+
				"\n      jwksFile: jwks.json\n      audiences: ["+tokentest.Audience+"]\n  - oidc:\n      issuer: "+idp+
				"\n      jwksFile: jwks.json\n      audiences: [web]"+m+"\n"), WithDir(dir))
			if err != nil {
				t.Fatal(err)
			}
			built, err := cfg.Build(context.Background(), Deps{Now: tokentest.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer built.Close()
			p, _, err := built.Chain.Authenticate(tokentest.Request(token))
			if tc.reason != "" {
				var e *authn.Error
				if !asError(err, &e) || authn.StatusCode(err) != 401 || e.Strategy != "oidc" || e.Reason != tc.reason {
					t.Errorf("err %v, want 401 from oidc: %s", err, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.user, p.User); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
			if p.Actor != nil || p.Credential.Type != "oidc" {
				t.Errorf("actor %+v, credential %+v", p.Actor, p.Credential)
			}
		})
	}
}
