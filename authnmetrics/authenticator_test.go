package authnmetrics_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnmetrics"
)

// testChain is a chain of two strategies driven by the X-Test header:
// "alpha-reject", "beta-fail", "beta-user" (alpha contributes nothing,
// beta the user), or nothing (no identity: the chain's own refusal).
func testChain(t testing.TB) *authn.Chain {
	t.Helper()
	alpha := authn.StrategyFunc("alpha", func(r *http.Request, p authn.Principal) authn.Decision {
		if r.Header.Get("X-Test") == "alpha-reject" {
			return authn.Reject("alpha says no")
		}
		return authn.Skip("nothing for alpha")
	})
	beta := authn.StrategyFunc("beta", func(r *http.Request, p authn.Principal) authn.Decision {
		switch r.Header.Get("X-Test") {
		case "beta-fail":
			return authn.Fail("beta is down", errors.New("backend"))
		case "beta-user":
			p.User = authn.User{Name: "alice@example.com"}
			return authn.Contribute(p, "beta knows alice")
		}
		return authn.Skip("nothing for beta")
	})
	c, err := authn.NewChain(alpha, beta)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func request(test string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if test != "" {
		r.Header.Set("X-Test", test)
	}
	return r
}

// TestAuthenticatorCounts: each Authenticate is one attempt, labelled with
// its result and the strategy that decided, and one duration sample under
// its result; the wrapper answers as the chain does.
func TestAuthenticatorCounts(t *testing.T) {
	m, reg := newMetrics(t)
	chain := testChain(t)
	a := m.Authenticator(chain)
	for test, n := range map[string]int{"beta-user": 3, "alpha-reject": 2, "beta-fail": 1, "": 4} {
		for range n {
			p, _, err := a.Authenticate(request(test))
			wantP, _, wantErr := chain.Authenticate(request(test))
			if p.User.Name != wantP.User.Name || authn.StatusCode(err) != authn.StatusCode(wantErr) {
				t.Fatalf("%q: wrapped answer %+v, %v; chain's %+v, %v", test, p, err, wantP, wantErr)
			}
		}
	}
	const attempts = "authchain_authentication_attempts_total"
	want(t, reg, attempts, "result=success,strategy=beta", 3)
	want(t, reg, attempts, "result=rejected,strategy=alpha", 2)
	want(t, reg, attempts, "result=unavailable,strategy=beta", 1)
	want(t, reg, attempts, "result=unauthenticated,strategy=chain", 4)
	want(t, reg, attempts, "result=success,strategy=alpha", 0)
	want(t, reg, attempts, "result=forbidden,strategy=other", 0)
	const duration = "authchain_authentication_duration_seconds"
	want(t, reg, duration, "result=success", 3)
	want(t, reg, duration, "result=rejected", 2)
	want(t, reg, duration, "result=unavailable", 1)
	want(t, reg, duration, "result=unauthenticated", 4)
	want(t, reg, duration, "result=forbidden", 0)
	want(t, reg, duration, "result=error", 0)
}

// TestAuthenticatorStrategyLabel: a strategy the wrapped Authenticator
// did not list, whatever its error or Principal says, is "other", and so
// is an error that is not an *authn.Error; its result is still counted.
func TestAuthenticatorStrategyLabel(t *testing.T) {
	m, reg := newMetrics(t)
	answers := []struct {
		p   authn.Principal
		err error
	}{
		{err: &authn.Error{Strategy: "alice@example.com", Kind: authn.ErrForbidden, Reason: "policy"}},
		{err: &authn.Error{Strategy: "Bearer-s3cr3t", Kind: authn.ErrRejected, Reason: "bad"}},
		{err: errors.New("plain")},
		{err: (*authn.Error)(nil)},
		{err: fmt.Errorf("wrapped: %w", &authn.Error{Strategy: "carol-s3cr3t", Kind: authn.ErrUnavailable, Reason: "down"})},
		{p: authn.Principal{User: authn.User{Name: "bob"}, Via: []string{"bob-token"}}},
		{p: authn.Principal{User: authn.User{Name: "carol"}}},
	}
	i := 0
	a := m.Authenticator(authn.AuthenticatorFunc(func(*http.Request) (authn.Principal, authn.Trace, error) {
		ans := answers[i]
		i++
		return ans.p, nil, ans.err
	}))
	for range answers {
		_, _, _ = a.Authenticate(request(""))
	}
	const attempts = "authchain_authentication_attempts_total"
	want(t, reg, attempts, "result=forbidden,strategy=other", 1)
	want(t, reg, attempts, "result=rejected,strategy=other", 1)
	want(t, reg, attempts, "result=error,strategy=other", 2)
	want(t, reg, attempts, "result=unavailable,strategy=other", 1)
	want(t, reg, attempts, "result=success,strategy=other", 2)
	for _, leaked := range []string{"alice@example.com", "Bearer-s3cr3t", "bob-token", "carol-s3cr3t"} {
		if _, ok := series(t, reg, attempts, "result=success,strategy="+leaked); ok {
			t.Errorf("strategy label %q exported", leaked)
		}
	}
}

// TestAuthenticatorNil: wrapping nothing is a bug, caught at once.
func TestAuthenticatorNil(t *testing.T) {
	m, _ := newMetrics(t)
	for name, a := range map[string]authn.Authenticator{"nil": nil, "nil chain": (*authn.Chain)(nil)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			m.Authenticator(a)
		}()
	}
}

// TestDurationBuckets: Kubernetes' authentication latency layout, 1ms
// doubling fifteen times.
func TestDurationBuckets(t *testing.T) {
	b := authnmetrics.DurationBuckets()
	if len(b) != 15 || b[0] != 0.001 || b[14] != 16.384 {
		t.Errorf("buckets %v, want 15 from 0.001 to 16.384", b)
	}
	for i := 1; i < len(b); i++ {
		if b[i] != 2*b[i-1] {
			t.Errorf("bucket %d is %v, want twice %v", i, b[i], b[i-1])
		}
	}
}

// TestAuthenticatorListsStrategies: a wrapped chain lists its strategies,
// so that wrapping it again (for a second registry) keeps the labels.
func TestAuthenticatorListsStrategies(t *testing.T) {
	m1, _ := newMetrics(t)
	m2, reg2 := newMetrics(t)
	a := m2.Authenticator(m1.Authenticator(testChain(t)))
	_, _, _ = a.Authenticate(request("beta-user"))
	want(t, reg2, "authchain_authentication_attempts_total", "result=success,strategy=beta", 1)
	if got := a.(interface{ Strategies() []string }).Strategies(); len(got) != 2 || got[0] != "alpha" || got[1] != "beta" {
		t.Errorf("Strategies() = %q, want [alpha beta]", got)
	}
}

// TestAuthenticatorAllocs: counting adds no allocation to what the chain
// itself costs, on success and on a refusal.
func TestAuthenticatorAllocs(t *testing.T) {
	m, _ := newMetrics(t)
	chain := testChain(t)
	a := m.Authenticator(chain)
	for _, test := range []string{"beta-user", "alpha-reject", ""} {
		r := request(test)
		bare := testing.AllocsPerRun(100, func() { _, _, _ = chain.Authenticate(r) })
		counted := testing.AllocsPerRun(100, func() { _, _, _ = a.Authenticate(r) })
		if counted > bare {
			t.Errorf("%q: %v allocs/op counted, %v bare; want no more", test, counted, bare)
		}
	}
}

// BenchmarkAuthenticator: the counting wrapper around a two-strategy
// chain, on success. Measured (go1.26.8, 2-core shared): bare 144 B/op,
// 1 allocs/op (the chain's trace and Via); counted adds the clock, a map
// look-up and two atomic updates, and no allocation.
func BenchmarkAuthenticator(b *testing.B) {
	m, _ := newMetrics(b)
	chain := testChain(b)
	for name, a := range map[string]authn.Authenticator{"bare": chain, "counted": m.Authenticator(chain)} {
		b.Run(name, func(b *testing.B) {
			r := request("beta-user")
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := a.Authenticate(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
