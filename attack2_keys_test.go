package authchain_test

// Adversarial tests of the attribute path of keys without a
// creator annotation (withoutCreator), bindings signed with an empty
// creator, and attributes carried in from earlier strategies. Each test
// asserts the secure outcome; a failing test is a way in.

import (
	"net/http"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authntest"
	"github.com/authchain/authchain/internal/setup"
)

// atkChainWithPrefix builds first, then the annotation strategy of cfg
// (binding key, copied attributes) and Synthetic, over cluster.
func atkChainWithPrefix(t *testing.T, cfg setup.Config, cluster string, first authn.Strategy) *authn.Chain {
	t.Helper()
	yamlText, err := setup.ExpandCluster([]byte(cluster), atkBinding)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := authntest.Cluster(t, yamlText)
	ann, err := strategies.CreatorAnnotation(c, strategies.RequireSignedBinding([]byte(cfg.BindingKey)),
		strategies.CopyAttributes(cfg.CopyAttributes...))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := authn.NewChain(first, ann, strategies.Synthetic())
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

// noCreatorKey renders ServiceAccount team/key (uid-key) with the given
// labels (inside {}) and annotation lines (indented four spaces).
func noCreatorKey(labels, annotations string) string {
	return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: key
  namespace: team
  uid: uid-key
  labels: {` + labels + `}
  annotations:
    x-unrelated: "1"
` + annotations
}

func atk2Do(t *testing.T, cfg setup.Config, cluster string, kv ...string) atkResult {
	t.Helper()
	if len(kv) == 0 {
		kv = []string{"Authorization", "Bearer " + atkToken(t, "team", "key", "uid-key")}
	}
	return atkDo(atkChain(t, cfg, cluster), atkRequest(atkProxy, kv...))
}

func roleOf(res atkResult) string {
	if res.principal == nil || res.principal.Actor == nil {
		return "<none>"
	}
	return res.principal.Actor.Attributes["ambient-code.io/role"]
}

// TestAttack2_EmptyCreatorBindingReplays: a binding the key service signed
// with an empty creator proves attributes of that key only, on that
// incarnation, and only while the key has no creator.
func TestAttack2_EmptyCreatorBindingReplays(t *testing.T) {
	cfg := bindingConfig(t)
	// Baseline: the genuine case passes with its role.
	res := atk2Do(t, cfg, noCreatorKey("", `    ambient-code.io/role: read
    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "" "ambient-code.io/role=read"}}'
`))
	if res.status != http.StatusOK || roleOf(res) != "read" || !res.principal.Synthetic {
		t.Fatalf("baseline: status %d role %q (trace %+v)", res.status, roleOf(res), res.trace)
	}
	for _, tt := range []struct{ name, cluster string }{
		{"empty-creator binding of another key", noCreatorKey("", `    ambient-code.io/role: admin
    ambient-code.io/created-by-binding: '{{sign "team" "other" "uid-other" "" "ambient-code.io/role=admin"}}'
`)},
		{"empty-creator binding of another namespace", noCreatorKey("", `    ambient-code.io/role: admin
    ambient-code.io/created-by-binding: '{{sign "team2" "key" "uid-key" "" "ambient-code.io/role=admin"}}'
`)},
		{"empty-creator binding of the previous incarnation", noCreatorKey("", `    ambient-code.io/role: admin
    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-old" "" "ambient-code.io/role=admin"}}'
`)},
		{"empty-creator binding, role edited", noCreatorKey("", `    ambient-code.io/role: admin
    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "" "ambient-code.io/role=read"}}'
`)},
		{"creator binding, creator annotation deleted", noCreatorKey("", `    ambient-code.io/role: read
    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "alice" "ambient-code.io/role=read"}}'
`)},
		{"child binding, creator annotation deleted", noCreatorKey("", `    ambient-code.io/role: read
    ambient-code.io/created-by-binding: '{{signChild "team" "key" "uid-key" "system:serviceaccount:team:p" "uid-p" "ambient-code.io/role=read"}}'
`)},
		{"empty-creator binding, creator annotation added", noCreatorKey("", `    ambient-code.io/role: read
    ambient-code.io/created-by-user-id: alice
    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "" "ambient-code.io/role=read"}}'
`)},
		{"empty-creator binding, empty creator annotation added", noCreatorKey("", `    ambient-code.io/role: read
    ambient-code.io/created-by-user-id: ""
    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "" "ambient-code.io/role=read"}}'
`)},
		{"empty-creator binding without attributes, role added", noCreatorKey("", `    ambient-code.io/role: admin
    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" ""}}'
`)},
		{"v1 empty-creator binding, role present", noCreatorKey("", `    ambient-code.io/role: admin
    ambient-code.io/created-by-binding: '`+v1Binding("team", "key", "uid-key", "")+`'
`)},
		{"label role not covered", noCreatorKey("ambient-code.io/role: admin", `    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" ""}}'
`)},
		{"role both label and annotation, signed", noCreatorKey("ambient-code.io/role: read", `    ambient-code.io/role: read
    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "" "ambient-code.io/role=read"}}'
`)},
		{"binding malformed", noCreatorKey("", `    ambient-code.io/role: read
    ambient-code.io/created-by-binding: 'v2.garbage'
`)},
	} {
		res := atk2Do(t, cfg, tt.cluster)
		wantRefused(t, tt.name, res)
	}
	// The role moved to a label keeps its signed value.
	res = atk2Do(t, cfg, noCreatorKey("ambient-code.io/role: read", `    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "" "ambient-code.io/role=read"}}'
`))
	if res.status == http.StatusOK && roleOf(res) != "read" {
		t.Errorf("label role: %q", roleOf(res))
	}
}

// TestAttack2_NoCreatorUnderLabelAndNamespacePolicies: without a binding,
// the key's copied attributes are believed only under the configured label
// and namespace policy, on every path that reaches the annotation strategy
// (verified token, and believed forwarded subject).
func TestAttack2_NoCreatorUnderLabelAndNamespacePolicies(t *testing.T) {
	for _, path := range []string{"jwt", "forwarded"} {
		mk := func(cfg setup.Config) setup.Config {
			cfg.CopyAttributes = []string{"ambient-code.io/role"}
			if path == "forwarded" {
				cfg.InsecureForwardedSubjectWithoutToken = true
			}
			return cfg
		}
		kv := []string{"Authorization", "Bearer " + atkToken(t, "team", "key", "uid-key")}
		if path == "forwarded" {
			kv = []string{"X-Forwarded-User", "system:serviceaccount:team:key"}
		}
		// Label policy: unlabelled key with a role refused; labelled one keeps it.
		cfg := mk(atkConfig(t))
		wantRefused(t, path+": unlabelled role", atk2Do(t, cfg, noCreatorKey("", "    ambient-code.io/role: admin\n"), kv...))
		wantRefused(t, path+": wrong label value", atk2Do(t, cfg, noCreatorKey("app: ambient-access-keys", "    ambient-code.io/role: admin\n"), kv...))
		res := atk2Do(t, cfg, noCreatorKey("app: ambient-access-key, ambient-code.io/role: read", ""), kv...)
		if res.status != http.StatusOK || roleOf(res) != "read" {
			t.Errorf("%s: labelled label-role: status %d role %q", path, res.status, roleOf(res))
		}
		if path == "jwt" && res.principal != nil && res.principal.Actor.UID != "uid-key" {
			t.Errorf("%s: uid %q", path, res.principal.Actor.UID)
		}
		// Namespace policy.
		cfg = mk(atkConfig(t))
		cfg.RequireLabels = nil
		cfg.RequireNamespaces = []string{"keys"}
		wantRefused(t, path+": role outside allowed namespaces", atk2Do(t, cfg, noCreatorKey("", "    ambient-code.io/role: admin\n"), kv...))
		// Both: namespace ok, label missing.
		cfg.RequireNamespaces = []string{"team"}
		cfg.RequireLabels = map[string]string{"app": "ambient-access-key"}
		wantRefused(t, path+": namespace ok but label missing", atk2Do(t, cfg, noCreatorKey("", "    ambient-code.io/role: admin\n"), kv...))
	}
}

// TestAttack2_CapDroppedWithSecondAttribute: with two copied attributes,
// a key without a creator whose binding covers one cannot carry the other
// unsigned, nor drop a signed one.
func TestAttack2_CapDroppedWithSecondAttribute(t *testing.T) {
	cfg := bindingConfig(t)
	cfg.CopyAttributes = []string{"ambient-code.io/role", "ambient-code.io/scope"}
	for _, tt := range []struct{ name, cluster string }{
		{"unsigned second attribute", noCreatorKey("", `    ambient-code.io/role: read
    ambient-code.io/scope: all
    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "" "ambient-code.io/role=read"}}'
`)},
		{"signed attribute dropped, other kept", noCreatorKey("", `    ambient-code.io/scope: one
    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "" "ambient-code.io/role=read" "ambient-code.io/scope=one"}}'
`)},
	} {
		wantRefused(t, tt.name, atk2Do(t, cfg, tt.cluster))
	}
}

// TestAttack_NoCreatorSignedRoleRemoved: a key issued with a signed role and
// no creator (a bot capped to read) has its role annotation deleted by
// someone who may edit ServiceAccounts. The binding, still on the key,
// lists the role, so the key must be refused, as it is with a creator,
// rather than serve as its synthetic user with no cap.
func TestAttack_NoCreatorSignedRoleRemoved(t *testing.T) {
	cfg := bindingConfig(t)
	// Control: the same tampering on a key with a creator is refused.
	wantRefused(t, "creator key, role removed", atk2Do(t, cfg, roleKey("", "", ` "ambient-code.io/role=read"`)))
	res := atk2Do(t, cfg, noCreatorKey("", `    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "" "ambient-code.io/role=read"}}'
`))
	if res.status == http.StatusOK {
		t.Errorf("a key whose signed role was removed serves as %q with attributes %v: the cap was dropped, not refused (trace %+v)",
			res.principal.User.Name, res.principal.Actor.Attributes, res.trace)
	}
	// Likewise when the creator annotation AND the role are removed from a
	// human's key: it turns into an uncapped synthetic key.
	res = atk2Do(t, cfg, noCreatorKey("", `    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "alice" "ambient-code.io/role=read"}}'
`))
	if res.status == http.StatusOK {
		t.Errorf("a human's key stripped of creator and role serves as %q with attributes %v", res.principal.User.Name, res.principal.Actor.Attributes)
	}
}

// TestAttack_EarlierActorAttributeSurvivesForCopiedKey: the annotation
// strategy owns the CopyAttributes keys, whose values must come from the
// cached ServiceAccount, proven by its policy. A value under a copied key
// that an earlier strategy put on the Actor (a custom strategy reading a
// header, as a gateway plug-in might) must not survive when the key does
// not carry it, on the creator and the no-creator path alike.
func TestAttack_EarlierActorAttributeSurvivesForCopiedKey(t *testing.T) {
	cfg := bindingConfig(t)
	// Build the standard chain's annotation strategy behind a custom
	// strategy that sets the Actor with a role of its choosing.
	for _, tc := range []struct{ name, sa, uid string }{{"creator key", "key", "uid-key"}, {"no-creator key", "bot", "uid-bot"}} {
		cluster := `apiVersion: v1
kind: ServiceAccount
metadata:
  name: key
  namespace: team
  uid: uid-key
  annotations:
    ambient-code.io/created-by-user-id: alice
    ambient-code.io/created-by-binding: '{{sign "team" "key" "uid-key" "alice"}}'
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: bot, namespace: team, uid: uid-bot}
`
		chain := atkChainWithPrefix(t, cfg, cluster, authn.StrategyFunc("gateway", func(r *http.Request, p authn.Principal) authn.Decision {
			role := r.Header.Get("X-Gateway-Role")
			if role == "" {
				return authn.Skip("")
			}
			p.Actor = &authn.ServiceAccount{Namespace: "team", Name: tc.sa, Attributes: map[string]string{"ambient-code.io/role": role}}
			return authn.Contribute(p, "gateway")
		}))
		res := atkDo(chain, atkRequest(atkProxy, "X-Gateway-Role", "admin"))
		if res.status == http.StatusOK && roleOf(res) == "admin" {
			t.Errorf("%s: the Actor keeps role %q that the ServiceAccount does not carry (user %q)", tc.name, roleOf(res), res.principal.User.Name)
		}
	}
}
