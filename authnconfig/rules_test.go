package authnconfig

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/internal/tokentest"
)

// keys are the access keys of the rule tests, all created by alice: one
// may read, one administer, and one has no role.
var keys = staticReader{
	"team-a/reader": saWithRole("reader", "read"),
	"team-a/admin":  saWithRole("admin", "admin"),
	"team-a/norole": saWithRole("norole", ""),
}

func saWithRole(name, role string) strategies.ServiceAccountMeta {
	sa := strategies.ServiceAccountMeta{
		Namespace: "team-a", Name: name, UID: "uid-" + name,
		Annotations: map[string]string{strategies.DefaultCreatorAnnotation: "alice"},
	}
	if role != "" {
		sa.Labels = map[string]string{"ambient-code.io/role": role}
	}
	return sa
}

const roleRule = `principal.actor == null || principal.actor.attributes['ambient-code.io/role'] in ['read', 'write']`

// TestPrincipalRules runs requests through a built chain whose rules hold
// or not: a rule that is false, or cannot be evaluated, refuses the
// request with its message alone; the detail names the rule.
func TestPrincipalRules(t *testing.T) {
	const strategiesYAML = "  strategies:\n  - forwarded:\n      trust: {insecureAnyPeer: true}\n" +
		"  - serviceAccount: {insecureBelieveForwardedSubjects: true}\n" +
		"  - annotation:\n      requireNamespaces: [team-a]\n      copyAttributes: [ambient-code.io/role]\n"
	key := func(name string, headers ...string) []string {
		return append([]string{"X-Forwarded-User", "system:serviceaccount:team-a:" + name}, headers...)
	}
	for _, tc := range []struct {
		name    string
		rules   []ValidationRule
		headers []string
		detail  string // of the refusal; "" for none
		message string
	}{{
		name:    "a human passes the role rule",
		rules:   []ValidationRule{{roleRule, "access key role not allowed"}},
		headers: []string{"X-Forwarded-User", "alice"},
	}, {
		name:    "a reader key passes",
		rules:   []ValidationRule{{roleRule, "access key role not allowed"}},
		headers: key("reader"),
	}, {
		name:    "an admin key is refused",
		rules:   []ValidationRule{{roleRule, "access key role not allowed"}},
		headers: key("admin"),
		message: "access key role not allowed",
		detail:  "spec.principalValidationRules[0] is false",
	}, {
		name:    "a key without the role fails closed",
		rules:   []ValidationRule{{roleRule, "access key role not allowed"}},
		headers: key("norole"),
		message: "access key role not allowed",
		detail:  "spec.principalValidationRules[0] could not be evaluated (a key or field is missing; test it with has() or 'in' first): fails closed",
	}, {
		name: "'in' guards a missing key",
		rules: []ValidationRule{{`principal.actor == null || !('ambient-code.io/role' in principal.actor.attributes) || ` +
			`principal.actor.attributes['ambient-code.io/role'] != 'admin'`, "no admin keys"}},
		headers: key("norole"),
	}, {
		name: "rules run in order; the first to fail answers",
		rules: []ValidationRule{
			{"principal.user.name.endsWith('e')", "name must end in e"},
			{"!('banned' in principal.user.groups)", "banned"},
			{"principal.user.email != ''", "an email is required"},
		},
		headers: []string{"X-Forwarded-User", "alice", "X-Forwarded-Groups", "devs,banned"},
		message: "banned",
		detail:  "spec.principalValidationRules[1] is false",
	}, {
		name:    "empty fields are present",
		rules:   []ValidationRule{{"principal.user.email == '' && principal.user.uid == '' && size(principal.user.extra) == 0 && principal.credential == null", "empty"}},
		headers: []string{"X-Forwarded-User", "alice"},
	}, {
		name:    "via and synthetic",
		rules:   []ValidationRule{{"principal.via == ['forwarded', 'serviceaccount', 'annotation'] && !principal.synthetic", "via"}},
		headers: key("reader"),
	}, {
		name:    "a value of another type than bool fails closed",
		rules:   []ValidationRule{{"principal.user.name", "not a bool"}},
		headers: []string{"X-Forwarded-User", "alice"},
		message: "not a bool",
		detail:  "spec.principalValidationRules[0] did not evaluate to a bool: fails closed",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(header + "spec:\n" + strategiesYAML))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Spec.PrincipalValidationRules = tc.rules
			built, err := cfg.Build(context.Background(), Deps{ServiceAccounts: keys})
			if err != nil {
				t.Fatal(err)
			}
			defer built.Close()
			if got := built.Chain.Strategies(); got[len(got)-1] != "rules" {
				t.Errorf("strategies %v, want rules last", got)
			}
			p, trace, err := built.Chain.Authenticate(request("10.1.2.3:4000", tc.headers...))
			last := trace[len(trace)-1]
			if tc.message == "" {
				if err != nil {
					t.Fatalf("refused: %v (trace %+v)", err, trace)
				}
				if last.Strategy != "rules" || last.Outcome != authn.NotApplicable {
					t.Errorf("rules step %+v, want not-applicable", last)
				}
				if p.Via[len(p.Via)-1] == "rules" {
					t.Errorf("Via %v names the rules, which contribute nothing", p.Via)
				}
				return
			}
			var e *authn.Error
			if authn.StatusCode(err) != 401 || !asError(err, &e) {
				t.Fatalf("err %v, want 401", err)
			}
			if e.Strategy != "rules" || e.Reason != tc.message || e.Detail != tc.detail {
				t.Errorf("refusal %q: %q, %q; want rules: %q, %q", e.Strategy, e.Reason, e.Detail, tc.message, tc.detail)
			}
			if last.Reason != tc.message || last.Detail != tc.detail {
				t.Errorf("trace %+v, want the message and detail", last)
			}
			for _, secret := range []string{"alice", "admin", "team-a", "banned"} {
				if secret != tc.message && strings.Contains(e.Reason+e.Detail, secret) {
					t.Errorf("refusal quotes the principal's %q: %q, %q", secret, e.Reason, e.Detail)
				}
			}
		})
	}
}

func asError(err error, target **authn.Error) bool {
	e, ok := err.(*authn.Error)
	*target = e
	return ok
}

// TestPrincipalValue: what rules see of a Principal is its JSON encoding,
// field for field, so that a field added to Principal and not to rules
// fails here.
func TestPrincipalValue(t *testing.T) {
	full := authn.Principal{
		User:  authn.User{Name: "alice", UID: "u1", Email: "a@example.com", Groups: []string{"g"}, Extra: map[string][]string{"k": {"v"}}},
		Actor: &authn.ServiceAccount{Namespace: "ns", Name: "key", UID: "u2", Attributes: map[string]string{"a": "b"}},
		Credential: &authn.Credential{Type: "jwt", ID: "JTI=1", Issuer: "https://issuer", Audiences: []string{"console"},
			ExpiresAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Pod:       &authn.BoundObject{Name: "p", UID: "u3"}, Node: &authn.BoundObject{Name: "n", UID: "u4"},
			LegacySecret: "s",
			Bindings:     []authn.Binding{{Kind: "k", Name: "b", UID: "u5", Attestations: map[string][]string{"x": {"y"}}}}},
		Synthetic: true,
		Via:       []string{"forwarded"},
	}
	if diff := cmp.Diff(jsonTree(t, full), jsonTree(t, principalValue(full))); diff != "" {
		t.Errorf("principal differs from the JSON encoding (-json +rules):\n%s", diff)
	}
}

func jsonTree(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		t.Fatal(err)
	}
	return tree
}

// TestRuleCostLimit: a rule the estimate lets through stops when larger
// input makes it spend more than RuleCostLimit, and fails closed.
func TestRuleCostLimit(t *testing.T) {
	rules, errs := compileRules(field.NewPath("r"), principalVariable, []ValidationRule{{"principal.user.groups.exists(g, g.contains('x'))", "too many groups"}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	groups := make([]string, 20_000)
	for i := range groups {
		groups[i] = fmt.Sprintf("group-%06d-%s", i, strings.Repeat("a", 1000))
	}
	msg, detail, ok := evalRules(rules, map[string]any{principalVariable: principalValue(authn.Principal{User: authn.User{Name: "alice", Groups: groups}})})
	if ok || msg != "too many groups" || !strings.Contains(detail, "cost limit") {
		t.Errorf("evalRules = %q, %q, %v; want the cost limit to stop it", msg, detail, ok)
	}
	groups = groups[:10]
	if _, detail, ok := evalRules(rules, map[string]any{principalVariable: principalValue(authn.Principal{User: authn.User{Name: "alice", Groups: groups}})}); ok || strings.Contains(detail, "cost") {
		t.Errorf("ten groups: %q, %v; want false within the limit", detail, ok)
	}
}

// TestClaimRules: a jwt strategy's rules judge the verified token's claims.
func TestClaimRules(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), tokentest.StaticJWKS(t), 0o600); err != nil {
		t.Fatal(err)
	}
	token := tokentest.RSA(t, tokentest.Claims())
	for _, tc := range []struct {
		name, rules, message string
	}{
		{"namespace rule holds", `[{expression: "claims['kubernetes.io'].namespace == 'team-a' && claims.exp > 0", message: "wrong namespace"}]`, ""},
		{"namespace rule is false", `[{expression: "claims['kubernetes.io'].namespace == 'team-b'", message: "wrong namespace"}]`, "wrong namespace"},
		{"missing claim fails closed", `[{expression: "claims.team == 'a'", message: "no team"}]`, "no team"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(header+"spec:\n  strategies:\n  - jwt:\n      issuer: "+tokentest.Issuer+
				"\n      jwksFile: jwks.json\n      audiences: ["+tokentest.Audience+"]\n      claimValidationRules: "+tc.rules+"\n  - synthetic: {}\n"), WithDir(dir))
			if err != nil {
				t.Fatal(err)
			}
			built, err := cfg.Build(context.Background(), Deps{Now: tokentest.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer built.Close()
			_, _, err = built.Chain.Authenticate(tokentest.Request(token))
			var e *authn.Error
			switch {
			case tc.message == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.message == "":
			case !asError(err, &e) || authn.StatusCode(err) != 401 || e.Strategy != "jwt" || e.Reason != tc.message:
				t.Errorf("err %v, want 401 from jwt: %s", err, tc.message)
			}
		})
	}
}
