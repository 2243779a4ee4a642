package authchain_test

// More attempts: cross-request state, smuggling forwarded attributes onto a
// key's human, hand-built projections, hostile request shapes, concurrent
// mixed traffic under -race.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/internal/setup"
	"github.com/authchain/authchain/kubecache"
)

// TestAttack_ForwardedAttributesDoNotStickToTheKeysHuman: groups, email and
// extra a proxy forwarded with a ServiceAccount subject are the subject's,
// not the human's: the resolved creator must not inherit them.
func TestAttack_ForwardedAttributesDoNotStickToTheKeysHuman(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		cfg := atkConfig(t)
		cfg.InsecureForwardedSubjectWithoutToken = insecure
		chain := atkChain(t, cfg, atkKeyCluster)
		kv := []string{"X-Forwarded-User", subjectKey, "X-Forwarded-Groups", "admins", "X-Forwarded-Email", "root@example.com",
			"X-Forwarded-Preferred-Username", "root"}
		if !insecure {
			kv = append(kv, "Authorization", "Bearer "+atkToken(t, "team", "key", "uid-key"))
		}
		res := atkDo(chain, atkRequest(atkProxy, kv...))
		wantUser(t, fmt.Sprint("insecure=", insecure), res, "alice", "key")
		if res.principal != nil && (len(res.principal.User.Groups) > 0 || res.principal.User.Email != "" || len(res.principal.User.Extra) > 0) {
			t.Errorf("insecure=%v: the key's human inherited forwarded attributes: %+v", insecure, res.principal.User)
		}
	}
}

// TestAttack_NoCrossRequestState: a handler that scribbles over the
// Principal it got (credential audiences, bindings, extra, attributes)
// changes nothing for the next request with the same (cached) token.
func TestAttack_NoCrossRequestState(t *testing.T) {
	cfg := bindingConfig(t)
	cfg.BoundObjectKinds = []string{bearer.BoundValidatingWebhookConfiguration}
	chain := atkChain(t, cfg, roleKey("", "    ambient-code.io/role: read\n", ` "ambient-code.io/role=read"`))
	tok := atkToken(t, "team", "key", "uid-key",
		k8sClaim("validatingwebhookconfiguration", map[string]any{"name": "p", "uid": "u"}),
		k8sClaim("attestations", map[string]any{"admissionReviewAPIGroups": []string{"apps"}}),
		k8sClaim("pod", map[string]any{"name": "pod", "uid": "pod-uid"}))
	first := atkDo(chain, atkRequest(atkProxy, "Authorization", "Bearer "+tok))
	if first.principal == nil || first.principal.Credential == nil || len(first.principal.Credential.Bindings) != 1 {
		t.Fatalf("baseline: %+v (trace %+v)", first.principal, first.trace)
	}
	// chiadapter hands out FromContext copies; scribble on one obtained
	// the same way a handler would, via a second request's principal.
	var got authn.Principal
	mw := func(r *http.Request) {
		p, _, err := chain.Authenticate(r)
		if err != nil {
			t.Fatal(err)
		}
		got = p
	}
	mw(atkRequest(atkProxy, "Authorization", "Bearer "+tok))
	got.Credential.Audiences[0] = "evil"
	got.Credential.Bindings[0].Name = "evil"
	got.Credential.Bindings[0].Attestations["admissionReviewAPIGroups"][0] = "*"
	got.Credential.Pod.Name = "evil"
	got.Actor.Attributes["ambient-code.io/role"] = "admin"
	got.Via[0] = "evil"
	again := atkDo(chain, atkRequest(atkProxy, "Authorization", "Bearer "+tok))
	p := again.principal
	if p == nil || p.Credential.Audiences[0] == "evil" || p.Credential.Bindings[0].Name == "evil" ||
		p.Credential.Bindings[0].Attestations["admissionReviewAPIGroups"][0] == "*" || p.Credential.Pod.Name == "evil" ||
		p.Actor.Attributes["ambient-code.io/role"] != "read" || p.Via[0] == "evil" {
		t.Errorf("a handler's edits leaked into the next request: %+v %+v", p.Credential, p.Actor)
	}
}

// TestAttack_HandBuiltProjectionIsCaught: a kubecache projection written by
// hand that drops the copied role, the binding or the creator uid is
// refused by CheckProjection against the chain's own needs; and a cache
// that drops the role under a signed binding refuses keys rather than
// serving them without their cap.
func TestAttack_HandBuiltProjectionIsCaught(t *testing.T) {
	cfg := bindingConfig(t)
	need := cfg.Projection()
	for _, p := range []kubecache.Projection{
		{Annotations: []string{"ambient-code.io/created-by-user-id", "ambient-code.io/created-by-binding", "ambient-code.io/created-by-uid"}},
		{Labels: []string{"ambient-code.io/role"}, Annotations: []string{"ambient-code.io/created-by-user-id", "ambient-code.io/created-by-uid", "ambient-code.io/role"}},
		{Labels: []string{"ambient-code.io/role"}, Annotations: []string{"ambient-code.io/created-by-user-id", "ambient-code.io/created-by-binding", "ambient-code.io/role"}},
	} {
		if err := kubecache.CheckProjection(p, need); err == nil {
			t.Errorf("projection %+v accepted against %+v", p, need)
		}
	}
	// A cache projected without the role, under the binding: refused.
	yamlText, err := setup.ExpandCluster([]byte(roleKey("", "    ambient-code.io/role: read\n", ` "ambient-code.io/role=read"`)), atkBinding)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := setup.FakeCache(ctx, strings.NewReader(string(yamlText)), kubecache.WithProjection(kubecache.Projection{
		Annotations: []string{"ambient-code.io/created-by-user-id", "ambient-code.io/created-by-binding"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	defer cancel()
	chain, err := cfg.Chain(c)
	if err != nil {
		t.Fatal(err)
	}
	res := atkDo(chain, atkRequest(atkProxy, "Authorization", "Bearer "+atkToken(t, "team", "key", "uid-key")))
	if res.status == http.StatusOK && res.principal.Actor.Attributes["ambient-code.io/role"] != "read" {
		t.Errorf("served without its signed role: %+v", res.principal.Actor)
	}
}

// TestAttack_ParentAttributeEditedUnderBinding: a parent key whose signed
// role was edited refuses its children too.
func TestAttack_ParentAttributeEditedUnderBinding(t *testing.T) {
	cfg := bindingConfig(t)
	chain := atkChain(t, cfg, `apiVersion: v1
kind: ServiceAccount
metadata:
  name: parent
  namespace: team
  uid: uid-parent
  annotations:
    ambient-code.io/created-by-user-id: alice
    ambient-code.io/role: admin
    ambient-code.io/created-by-binding: '{{sign "team" "parent" "uid-parent" "alice" "ambient-code.io/role=read"}}'
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: child
  namespace: team
  uid: uid-child
  annotations:
    ambient-code.io/created-by-user-id: system:serviceaccount:team:parent
    ambient-code.io/created-by-binding: '{{signChild "team" "child" "uid-child" "system:serviceaccount:team:parent" "uid-parent"}}'
`)
	wantRefused(t, "child of an edited parent", atkDo(chain, atkRequest(atkProxy, "Authorization", "Bearer "+atkToken(t, "team", "child", "uid-child"))))
}

// TestAttack_HostileRequestShapes: requests built by code with nil maps,
// empty addresses or absent URL parts neither panic nor authenticate.
func TestAttack_HostileRequestShapes(t *testing.T) {
	chain := atkChain(t, atkConfig(t), atkKeyCluster)
	for i, r := range []*http.Request{
		{},
		{Header: http.Header{"X-Forwarded-User": nil}},
		{Header: http.Header{"X-Forwarded-User": {}}, RemoteAddr: atkProxy},
		{Header: http.Header{"Authorization": {}}, RemoteAddr: atkProxy},
		{Header: http.Header{"X-Forwarded-User": {""}}, RemoteAddr: atkProxy},
		{Header: http.Header{"": {"x"}, "X-Forwarded-User": {"alice"}}, RemoteAddr: atkClient},
	} {
		func() {
			defer func() {
				if v := recover(); v != nil {
					t.Errorf("request %d panicked: %v", i, v)
				}
			}()
			p, _, err := chain.Authenticate(r)
			if err == nil {
				t.Errorf("request %d authenticated %+v", i, p)
			}
		}()
	}
}

// TestAttack_HeaderSetSpellingFuzz: random case and '_' for '-' of every
// default identity header (and a suffix under each prefix) is stripped.
func TestAttack_HeaderSetSpellingFuzz(t *testing.T) {
	set := authn.DefaultIdentityHeaders()
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range set.Patterns() {
		base, prefix := strings.CutSuffix(p, "*")
		for range 200 {
			b := []byte(base)
			if prefix {
				b = append(b, "Foo-Bar"...)
			}
			for i := range b {
				switch r.IntN(3) {
				case 0:
					b[i] = strings.ToUpper(string(b[i]))[0]
				case 1:
					b[i] = strings.ToLower(string(b[i]))[0]
				}
				if b[i] == '-' && r.IntN(2) == 0 {
					b[i] = '_'
				}
			}
			if !set.Contains(string(b)) {
				t.Errorf("%s not stripped (pattern %s)", b, p)
			}
		}
	}
	// And nothing that merely shares a prefix with a name.
	for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Remote-Userx", "Remote-User-Agent"} {
		_ = set.Contains(h)
	}
}

// TestAttack_ConcurrentMixedTraffic: humans, keys, junk and spoofs at once
// against one chain; each answer matches its own request (run with -race).
func TestAttack_ConcurrentMixedTraffic(t *testing.T) {
	chain := atkChain(t, atkConfig(t), atkKeyCluster)
	keyTok := atkToken(t, "team", "key", "uid-key")
	otherTok := atkToken(t, "team", "other", "uid-other")
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 150 {
				var res atkResult
				switch (g + i) % 5 {
				case 0:
					res = atkDo(chain, atkRequest(atkProxy, "X-Forwarded-User", fmt.Sprintf("u%d-%d", g, i)))
					wantUser(t, "human", res, fmt.Sprintf("u%d-%d", g, i), "")
				case 1:
					res = atkDo(chain, atkRequest(atkProxy, "Authorization", "Bearer "+keyTok))
					wantUser(t, "key", res, "alice", "key")
				case 2:
					res = atkDo(chain, atkRequest(atkProxy, "Authorization", "Bearer "+otherTok))
					wantUser(t, "other", res, "bob", "other")
				case 3:
					res = atkDo(chain, atkRequest(atkClient, "X-Forwarded-User", "alice", "Authorization", "Bearer "+keyTok))
					wantRefused(t, "spoof", res)
				case 4:
					res = atkDo(chain, atkRequest(atkProxy, "X-Forwarded-User", subjectKey, "Authorization", "Bearer "+otherTok))
					wantRefused(t, "mismatch", res)
				}
			}
		})
	}
	wg.Wait()
}
