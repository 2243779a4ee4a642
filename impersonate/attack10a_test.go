package impersonate_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/impersonate"
)

// sentExtra sends one request impersonating p and returns the extra the
// API server reads from it: keys unescaped and lower-cased, as the
// impersonation filter of kube-apiserver reads header names.
func sentExtra(t *testing.T, p authn.Principal) (map[string][]string, bool) {
	t.Helper()
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	cfg, err := impersonate.For(&rest.Config{Host: srv.URL}, p)
	if err != nil {
		return nil, false
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/apis", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	extra := map[string][]string{}
	const prefix = "Impersonate-Extra-"
	for k, vs := range got {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		key, err := url.PathUnescape(strings.ToLower(k[len(prefix):]))
		if err != nil {
			t.Fatal(err)
		}
		extra[key] = append(extra[key], vs...)
	}
	return extra, true
}

// The actor record on the API server is the Actor's, whatever the case of
// a key in the user's own extra: HTTP header names (and so extra keys sent
// as Impersonate-Extra-*) are case-insensitive, so "Authchain.dev/Actor"
// in the user's extra arrives as authchain.dev/actor.
func TestAttack10aExtraKeyCaseCollision(t *testing.T) {
	const forged = "system:serviceaccount:kube-system:admin"
	for name, key := range map[string]string{
		"title case": "Authchain.dev/Actor",
		"upper case": "AUTHCHAIN.DEV/ACTOR",
		"uid":        "Authchain.dev/Actor-Uid",
	} {
		for _, withActor := range []bool{true, false} {
			p := alice()
			if !withActor {
				p.Actor = nil
			}
			p.User.Extra = map[string][]string{key: {forged}}
			extra, sent := sentExtra(t, p)
			if !sent {
				continue // refused: fine
			}
			for k, vs := range extra {
				if (k == impersonate.ActorExtraKey || k == impersonate.ActorUIDExtraKey) && slices.Contains(vs, forged) {
					t.Errorf("%s (actor %v): the API server reads %s = %v", name, withActor, k, vs)
				}
			}
		}
	}
}

// Impersonation never asks the API server for a group only it assigns:
// system:masters passes every authorization check, so a Principal that
// holds it (from a signed assertion or a TokenReview) must not turn a
// runner allowed to impersonate groups into a cluster admin.
func TestAttack10aNoSystemMasters(t *testing.T) {
	p := alice()
	p.User.Groups = []string{"team-a", "system:masters"}
	ic, err := impersonate.Config(p)
	if err == nil && slices.Contains(ic.Groups, "system:masters") {
		t.Errorf("Config impersonates group system:masters: %v", ic.Groups)
	}
}

// Only a human's name is impersonated: a name the API server gives its own
// identities (system:…, a ServiceAccount) or the synthetic prefix is
// refused even when the Principal does not say it is synthetic, which is
// the original incident's synthetic id reaching RBAC as a user.
func TestAttack10aRefusesNonHumanNames(t *testing.T) {
	for _, name := range []string{
		"system:admin", "system:kube-controller-manager", "system:serviceaccount:kube-system:default",
		"System:Admin", authn.SyntheticNamePrefix + "team-a-runner-key",
	} {
		p := alice()
		p.User.Name = name
		if ic, err := impersonate.Config(p); err == nil {
			t.Errorf("Config impersonates user %q", ic.UserName)
		}
	}
}

// Config refuses a reserved extra key whether or not there is an Actor,
// and an empty extra key.
func TestAttack10aReservedExtraWithoutActor(t *testing.T) {
	for _, extra := range []map[string][]string{
		{impersonate.ActorExtraKey: {"system:serviceaccount:kube-system:admin"}},
		{impersonate.ActorUIDExtraKey: {"x"}},
	} {
		p := alice()
		p.Actor = nil
		p.User.Extra = extra
		if _, err := impersonate.Config(p); err == nil {
			t.Errorf("extra %v accepted without an Actor", extra)
		}
	}
}
