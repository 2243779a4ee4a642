package authn_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
)

func contributeUser(name string) authn.Strategy {
	return authn.StrategyFunc("user-"+name, func(_ *http.Request, p authn.Principal) authn.Decision {
		p.User = authn.User{Name: name}
		return authn.Contribute(p, "set user")
	})
}

func fixed(name string, d authn.Decision) authn.Strategy {
	return authn.StrategyFunc(name, func(*http.Request, authn.Principal) authn.Decision { return d })
}

func TestChainOutcomes(t *testing.T) {
	actor := authn.StrategyFunc("actor", func(_ *http.Request, p authn.Principal) authn.Decision {
		p.Actor = &authn.ServiceAccount{Namespace: "ns", Name: "key"}
		return authn.Contribute(p, "set actor")
	})
	saAsUser := authn.StrategyFunc("sa-as-user", func(_ *http.Request, p authn.Principal) authn.Decision {
		p.User = authn.User{Name: "system:serviceaccount:ns:key"}
		return authn.Contribute(p, "")
	})
	tests := []struct {
		name       string
		strategies []authn.Strategy
		want       authn.Principal
		wantKind   error
		wantTrace  authn.Trace
	}{
		{
			name:       "contributions accumulate in order",
			strategies: []authn.Strategy{fixed("skip", authn.Skip("nothing here")), actor, contributeUser("alice")},
			want:       authn.Principal{User: authn.User{Name: "alice"}, Actor: &authn.ServiceAccount{Namespace: "ns", Name: "key"}, Via: []string{"actor", "user-alice"}},
			wantTrace: authn.Trace{
				{Strategy: "skip", Outcome: authn.NotApplicable, Reason: "nothing here"},
				{Strategy: "actor", Outcome: authn.Contributed, Reason: "set actor"},
				{Strategy: "user-alice", Outcome: authn.Contributed, Reason: "set user"},
			},
		},
		{
			name:       "rejection stops the chain before a weaker strategy",
			strategies: []authn.Strategy{fixed("bad", authn.Reject("forged")), contributeUser("fallback")},
			wantKind:   authn.ErrRejected,
			wantTrace:  authn.Trace{{Strategy: "bad", Outcome: authn.Rejected, Reason: "forged"}},
		},
		{
			name:       "failure stops the chain and fails closed",
			strategies: []authn.Strategy{fixed("down", authn.Fail("cache not synced", errors.New("timeout"))), contributeUser("fallback")},
			wantKind:   authn.ErrUnavailable,
			wantTrace:  authn.Trace{{Strategy: "down", Outcome: authn.Failed, Reason: "cache not synced"}},
		},
		{
			name:       "no identity is unauthenticated",
			strategies: []authn.Strategy{fixed("skip", authn.Skip(""))},
			wantKind:   authn.ErrUnauthenticated,
			wantTrace:  authn.Trace{{Strategy: "skip", Outcome: authn.NotApplicable}},
		},
		{
			name:       "an actor without a user is unauthenticated",
			strategies: []authn.Strategy{actor},
			wantKind:   authn.ErrUnauthenticated,
			wantTrace:  authn.Trace{{Strategy: "actor", Outcome: authn.Contributed, Reason: "set actor"}},
		},
		{
			name:       "an unresolved ServiceAccount subject is never a user",
			strategies: []authn.Strategy{saAsUser},
			wantKind:   authn.ErrUnauthenticated,
			wantTrace:  authn.Trace{{Strategy: "sa-as-user", Outcome: authn.Contributed}},
		},
		{
			name: "dropping a verified credential fails closed",
			strategies: []authn.Strategy{
				authn.StrategyFunc("token", func(_ *http.Request, p authn.Principal) authn.Decision {
					p.Credential = &authn.Credential{Type: "jwt"}
					return authn.Contribute(p, "")
				}),
				fixed("afresh", authn.Contribute(authn.Principal{User: authn.User{Name: "alice"}}, "")),
			},
			wantKind: authn.ErrUnavailable,
			wantTrace: authn.Trace{
				{Strategy: "token", Outcome: authn.Contributed},
				{Strategy: "afresh", Outcome: authn.Contributed},
			},
		},
		{
			name:       "an unknown outcome fails closed",
			strategies: []authn.Strategy{fixed("odd", authn.Decision{Outcome: 9}), contributeUser("fallback")},
			wantKind:   authn.ErrUnavailable,
			wantTrace:  authn.Trace{{Strategy: "odd", Outcome: 9}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, err := authn.NewChain(tt.strategies...)
			if err != nil {
				t.Fatal(err)
			}
			got, trace, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
			if diff := cmp.Diff(tt.wantTrace, trace); diff != "" {
				t.Errorf("trace (-want +got):\n%s", diff)
			}
			if tt.wantKind != nil {
				var aerr *authn.Error
				if !errors.As(err, &aerr) || !errors.Is(err, tt.wantKind) {
					t.Fatalf("err = %v, want an *authn.Error of kind %v", err, tt.wantKind)
				}
				if diff := cmp.Diff(authn.Principal{}, got); diff != "" {
					t.Errorf("principal on error must be zero (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewChainValidates(t *testing.T) {
	if _, err := authn.NewChain(); err == nil {
		t.Error("empty chain accepted")
	}
	if _, err := authn.NewChain(contributeUser("a"), nil); err == nil {
		t.Error("nil strategy accepted")
	}
	if _, err := authn.NewChain(contributeUser("a"), contributeUser("a")); err == nil {
		t.Error("repeated name accepted")
	}
	if _, err := authn.NewChain(fixed("", authn.Skip(""))); err == nil {
		t.Error("empty name accepted")
	}
}

func TestErrorCarriesKindAndCause(t *testing.T) {
	cause := errors.New("dial tcp: connection refused")
	chain, err := authn.NewChain(fixed("annotation", authn.Fail("ServiceAccount cache not synced", cause)))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
	if !errors.Is(err, authn.ErrUnavailable) || !errors.Is(err, cause) {
		t.Fatalf("err = %v, want both the kind and the cause", err)
	}
	want := "authn: annotation: unavailable: ServiceAccount cache not synced: dial tcp: connection refused"
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
	if got := authn.StatusCode(err); got != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", got)
	}
}

func TestStatusCode(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{&authn.Error{Kind: authn.ErrRejected}, 401},
		{&authn.Error{Kind: authn.ErrUnauthenticated}, 401},
		{&authn.Error{Kind: authn.ErrForbidden}, 403},
		{&authn.Error{Kind: authn.ErrUnavailable}, 503},
		{errors.New("other"), 500},
	} {
		if got := authn.StatusCode(tt.err); got != tt.want {
			t.Errorf("StatusCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestOutcomeText(t *testing.T) {
	for _, o := range []authn.Outcome{authn.NotApplicable, authn.Contributed, authn.Rejected, authn.Failed} {
		b, err := o.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back authn.Outcome
		if err := back.UnmarshalText(b); err != nil || back != o {
			t.Errorf("round trip of %v gave %v, %v", o, back, err)
		}
	}
	var o authn.Outcome
	if err := o.UnmarshalText([]byte("maybe")); err == nil {
		t.Error("unknown outcome name accepted")
	}
}

// BenchmarkChainTwoStrategies measures the chain's own overhead: one skip and
// one contribution cost 2 allocs/op (the trace and Via).
func BenchmarkChainTwoStrategies(b *testing.B) {
	chain, err := authn.NewChain(fixed("skip", authn.Skip("")), contributeUser("alice"))
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := chain.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}
