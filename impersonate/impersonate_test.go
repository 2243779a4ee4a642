package impersonate_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/impersonate"
)

func alice() authn.Principal {
	return authn.Principal{
		User: authn.User{
			Name: "alice@example.com", UID: "u-1", Groups: []string{"team-a", "team-b"},
			Extra: map[string][]string{"example.com/tenant": {"t-1"}},
		},
		Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "runner-key", UID: "sa-uid-1"},
	}
}

func TestConfig(t *testing.T) {
	p := alice()
	got, err := impersonate.Config(p)
	if err != nil {
		t.Fatal(err)
	}
	want := rest.ImpersonationConfig{
		UserName: "alice@example.com", UID: "u-1", Groups: []string{"team-a", "team-b"},
		Extra: map[string][]string{
			"example.com/tenant":         {"t-1"},
			impersonate.ActorExtraKey:    {"system:serviceaccount:team-a:runner-key"},
			impersonate.ActorUIDExtraKey: {"sa-uid-1"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got.Groups[0], got.Extra["example.com/tenant"][0] = "x", "x"
	if diff := cmp.Diff(alice(), p); diff != "" {
		t.Errorf("the result shares memory with the Principal:\n%s", diff)
	}

	direct, err := impersonate.Config(authn.Principal{User: authn.User{Name: "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rest.ImpersonationConfig{UserName: "bob"}, direct); diff != "" {
		t.Errorf("no actor (-want +got):\n%s", diff)
	}
}

func TestConfigRefuses(t *testing.T) {
	syn := alice()
	syn.Synthetic, syn.User = true, authn.User{Name: authn.SyntheticNamePrefix + "team-a-runner-key"}
	spoof := alice()
	spoof.User.Extra = map[string][]string{impersonate.ActorExtraKey: {"system:serviceaccount:kube-system:admin"}}
	for name, tt := range map[string]struct {
		p    authn.Principal
		want error
	}{
		"zero":           {authn.Principal{}, impersonate.ErrNoUser},
		"synthetic":      {syn, impersonate.ErrSynthetic},
		"reserved extra": {spoof, impersonate.ErrReservedExtra},
		"system user":    {authn.Principal{User: authn.User{Name: "system:admin"}}, impersonate.ErrNotHuman},
		"system group":   {authn.Principal{User: authn.User{Name: "alice", Groups: []string{"system:masters"}}}, impersonate.ErrNotHuman},
		"subject":        {authn.Principal{User: authn.User{Name: "system:serviceaccount:ns:key"}}, impersonate.ErrNotHuman},
		"synthetic name": {authn.Principal{User: authn.User{Name: authn.SyntheticNamePrefix + "ns.key"}}, impersonate.ErrNotHuman},
	} {
		if ic, err := impersonate.Config(tt.p); !errors.Is(err, tt.want) || !cmp.Equal(ic, rest.ImpersonationConfig{}) {
			t.Errorf("%s: %+v, %v; want %v", name, ic, err, tt.want)
		}
	}
}

// A client built from For sends the Impersonate-* headers of the user and
// the actor.
func TestForSendsHeaders(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	base := &rest.Config{Host: srv.URL}
	cfg, err := impersonate.For(base, alice())
	if err != nil {
		t.Fatal(err)
	}
	if base.Impersonate.UserName != "" {
		t.Error("For changed its argument")
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/apis", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := map[string][]string{
		"Impersonate-User":                            {"alice@example.com"},
		"Impersonate-Uid":                             {"u-1"},
		"Impersonate-Group":                           {"team-a", "team-b"},
		"Impersonate-Extra-Example.com%2ftenant":      {"t-1"},
		"Impersonate-Extra-Authchain.dev%2factor":     {"system:serviceaccount:team-a:runner-key"},
		"Impersonate-Extra-Authchain.dev%2factor-Uid": {"sa-uid-1"},
	}
	sent := map[string][]string{}
	for k, v := range got {
		if len(k) > len("Impersonate-") && k[:len("Impersonate-")] == "Impersonate-" {
			sent[k] = v
		}
	}
	if diff := cmp.Diff(want, sent); diff != "" {
		t.Errorf("Impersonate headers (-want +got):\n%s", diff)
	}
	if _, err := impersonate.For(cfg, alice()); err == nil {
		t.Error("For impersonated on top of an impersonation")
	}
	if _, err := impersonate.For(nil, alice()); err == nil {
		t.Error("For took a nil config")
	}
}
