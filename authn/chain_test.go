package authn_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
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

// TestChainRunsShareNoMemory: the Trace and Via of one run share an
// allocation with each other and with no other run, so a caller who edits or
// extends its own sees no change in another request's, nor in its own Trace.
func TestChainRunsShareNoMemory(t *testing.T) {
	chain, err := authn.NewChain(fixed("skip", authn.Skip("skipped")), contributeUser("alice"), fixed("after", authn.Skip("after")))
	if err != nil {
		t.Fatal(err)
	}
	first, firstTrace, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	first.Via[0] = "evil"
	first.Via = append(first.Via, "evil", "evil")
	firstTrace[0].Reason = "evil"
	second, secondTrace, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"user-alice"}, second.Via); diff != "" {
		t.Errorf("second Via (-want +got):\n%s", diff)
	}
	wantTrace := authn.Trace{
		{Strategy: "skip", Outcome: authn.NotApplicable, Reason: "skipped"},
		{Strategy: "user-alice", Outcome: authn.Contributed, Reason: "set user"},
		{Strategy: "after", Outcome: authn.NotApplicable, Reason: "after"},
	}
	if diff := cmp.Diff(wantTrace, secondTrace); diff != "" {
		t.Errorf("second trace (-want +got):\n%s", diff)
	}
	wantTrace[0].Reason = "evil"
	if diff := cmp.Diff(wantTrace, firstTrace); diff != "" {
		t.Errorf("first trace after appending to its Via (-want +got):\n%s", diff)
	}
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

// pointerStrategy dereferences its receiver, as most strategies do.
type pointerStrategy struct{ name string }

func (s *pointerStrategy) Name() string { return s.name }
func (s *pointerStrategy) Authenticate(*http.Request, authn.Principal) authn.Decision {
	return authn.Skip(s.name)
}

// funcType and mapType are strategies of types that can be nil.
type funcType func() string

func (f funcType) Name() string                                             { return f() }
func (funcType) Authenticate(*http.Request, authn.Principal) authn.Decision { return authn.Skip("") }

type mapType map[string]string

func (m mapType) Name() string                                             { return m["name"] }
func (mapType) Authenticate(*http.Request, authn.Principal) authn.Decision { return authn.Skip("") }

func TestNewChainValidates(t *testing.T) {
	if _, err := authn.NewChain(); err == nil {
		t.Error("empty chain accepted")
	}
	if _, err := authn.NewChain(contributeUser("a"), nil); err == nil {
		t.Error("nil strategy accepted")
	}
	for name, s := range map[string]authn.Strategy{
		"typed nil pointer":          (*pointerStrategy)(nil),
		"nil func type":              funcType(nil),
		"nil map type":               mapType(nil),
		"StrategyFunc of a nil func": authn.StrategyFunc("f", nil),
	} {
		if c, err := authn.NewChain(contributeUser("a"), s); err == nil || c != nil {
			t.Errorf("%s accepted: (%v, %v)", name, c, err)
		}
	}
	if _, err := authn.NewChain(&pointerStrategy{name: "p"}, mapType{"name": "m"}); err != nil {
		t.Errorf("non-nil strategies of nilable types refused: %v", err)
	}
	if _, err := authn.NewChain(contributeUser("a"), contributeUser("a")); err == nil {
		t.Error("repeated name accepted")
	}
	if _, err := authn.NewChain(fixed("", authn.Skip(""))); err == nil {
		t.Error("empty name accepted")
	}
}

// validatedStrategy is a strategy whose zero value cannot run: it is ready
// only once its decide function is set, as a constructor would.
type validatedStrategy struct {
	decide func() authn.Decision
}

var errUnbuilt = errors.New("validatedStrategy: use its constructor")

func (*validatedStrategy) Name() string { return "validated" }
func (s *validatedStrategy) Authenticate(*http.Request, authn.Principal) authn.Decision {
	return s.decide()
}
func (s *validatedStrategy) Validate() error {
	if s.decide == nil {
		return errUnbuilt
	}
	return nil
}

// TestNewChainRefusesStrategiesThatFailValidate: a Validator's error
// refuses the chain, wrapped and naming the strategy, so that an unbuilt
// strategy never reaches a request; a ready one is accepted and runs.
func TestNewChainRefusesStrategiesThatFailValidate(t *testing.T) {
	c, err := authn.NewChain(contributeUser("a"), &validatedStrategy{})
	if err == nil || c != nil {
		t.Fatalf("unbuilt strategy accepted: (%v, %v)", c, err)
	}
	if !errors.Is(err, errUnbuilt) || !strings.Contains(err.Error(), `"validated"`) {
		t.Errorf("err = %v, want it to wrap the Validate error and name the strategy", err)
	}
	ready := &validatedStrategy{decide: func() authn.Decision { return authn.Skip("ready") }}
	c, err = authn.NewChain(contributeUser("a"), ready)
	if err != nil {
		t.Fatalf("ready strategy refused: %v", err)
	}
	if _, trace, err := c.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil)); err != nil || trace[1].Reason != "ready" {
		t.Errorf("ready strategy: trace %v, err %v", trace, err)
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

// headerStrategy reads identity headers of its own and declares them.
type headerStrategy struct{ headers []string }

func (headerStrategy) Name() string { return "custom-headers" }
func (headerStrategy) Authenticate(*http.Request, authn.Principal) authn.Decision {
	return authn.Skip("")
}
func (s headerStrategy) Headers() []string { return s.headers }

// forgedHeaders are identity headers a client sends, in the spellings that
// slip past a proxy stripping only the canonical one, beside ordinary ones.
func forgedHeaders() http.Header {
	return http.Header{
		"X-Remote-User":            {"mallory"},
		"x-remote-group":           {"system:masters"},
		"X_Remote_Extra_Scopes":    {"all"},
		"X-AUTH-REQUEST-USER":      {"mallory"},
		"X-Forwarded-Access-Token": {"forged"},
		"Impersonate_User":         {"admin"},
		"X-Custom-User":            {"mallory"},
		"x-custom-extra-team":      {"red"},
		"Accept":                   {"*/*"},
		"X-Forwarded-For":          {"198.51.100.4"},
	}
}

// TestChainStripsIdentityHeaders: whatever the outcome, even a panic, the
// default identity headers and those a strategy declares are gone once the
// chain returns, and strategies read them before that.
func TestChainStripsIdentityHeaders(t *testing.T) {
	declared := headerStrategy{headers: []string{"X-Custom-User", "X-Custom-Extra-*"}}
	for _, tt := range []struct {
		name string
		last authn.Strategy
	}{
		{"contributed", contributeUser("alice")},
		{"unauthenticated", fixed("skip", authn.Skip(""))},
		{"rejected", fixed("reject", authn.Reject("forged"))},
		{"failed", fixed("fail", authn.Fail("down", nil))},
		{"panicked", authn.StrategyFunc("panic", func(*http.Request, authn.Principal) authn.Decision { panic("bug") })},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			reader := authn.StrategyFunc("reader", func(r *http.Request, _ authn.Principal) authn.Decision {
				seen = r.Header.Get("X-Remote-User")
				return authn.Skip("")
			})
			chain, err := authn.NewChain(reader, declared, tt.last)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header = forgedHeaders()
			func() {
				defer func() { _ = recover() }()
				_, _, _ = chain.Authenticate(r)
			}()
			if seen != "mallory" {
				t.Errorf("a strategy read X-Remote-User = %q; want the header still there while strategies run", seen)
			}
			want := http.Header{"Accept": {"*/*"}, "X-Forwarded-For": {"198.51.100.4"}}
			if diff := cmp.Diff(want, r.Header); diff != "" {
				t.Errorf("headers left for the handler (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChainWithStrippedHeaders(t *testing.T) {
	chain, err := authn.NewChain(contributeUser("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chain.WithStrippedHeaders("X-Internal-*", "X Bad"); err == nil {
		t.Error("invalid pattern accepted")
	}
	more, err := chain.WithStrippedHeaders("X-Internal-*", "X-Ingress-User")
	if err != nil {
		t.Fatal(err)
	}
	run := func(c *authn.Chain) http.Header {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header = http.Header{"X-Internal-Role": {"admin"}, "x_ingress_user": {"bob"}, "Accept": {"*/*"}}
		if _, _, err := c.Authenticate(r); err != nil {
			t.Fatal(err)
		}
		return r.Header
	}
	if diff := cmp.Diff(http.Header{"Accept": {"*/*"}}, run(more)); diff != "" {
		t.Errorf("extended chain left (-want +got):\n%s", diff)
	}
	if got := run(chain); len(got) != 3 {
		t.Errorf("the original chain changed: it left %v", got)
	}
	for _, p := range []string{"X-Internal-*", "X-Ingress-User", "X-Remote-User", "Impersonate-*"} {
		if !slices.Contains(more.StrippedHeaders(), p) {
			t.Errorf("StrippedHeaders() = %v lacks %q", more.StrippedHeaders(), p)
		}
	}
	if slices.Contains(chain.StrippedHeaders(), "X-Internal-*") {
		t.Error("the original chain lists the added pattern")
	}
}

func TestNewChainRefusesInvalidDeclaredHeaders(t *testing.T) {
	if _, err := authn.NewChain(headerStrategy{headers: []string{"X-Ok", "X Bad"}}); err == nil {
		t.Error("a strategy declaring an invalid header pattern was accepted")
	}
}

// TestDetailStaysOutOfTheReason: a decision's Detail reaches the trace and
// the error's message (logs), never Error.Reason, which is the response
// body.
func TestDetailStaysOutOfTheReason(t *testing.T) {
	const reason, detail = "creator annotation failed provenance", "label app is not ambient-access-key"
	for _, d := range []authn.Decision{
		authn.Reject(reason).WithDetail(detail),
		authn.Fail(reason, errors.New("timeout")).WithDetail(detail),
	} {
		chain, err := authn.NewChain(fixed("annotation", d))
		if err != nil {
			t.Fatal(err)
		}
		_, trace, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
		want := authn.Trace{{Strategy: "annotation", Outcome: d.Outcome, Reason: reason, Detail: detail}}
		if diff := cmp.Diff(want, trace); diff != "" {
			t.Errorf("trace (-want +got):\n%s", diff)
		}
		var aerr *authn.Error
		if !errors.As(err, &aerr) {
			t.Fatalf("err = %v, want an *authn.Error", err)
		}
		if aerr.Reason != reason || aerr.Detail != detail {
			t.Errorf("Reason = %q, Detail = %q; want %q and %q", aerr.Reason, aerr.Detail, reason, detail)
		}
		if !strings.Contains(err.Error(), detail) {
			t.Errorf("Error() = %q does not carry the detail", err)
		}
	}
	if d := authn.Reject(reason); d.Detail != "" {
		t.Errorf("Reject sets Detail %q", d.Detail)
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

// TestChainStrippingAllocatesNothing: with forged identity headers to strip,
// the chain of BenchmarkChainTwoStrategies still costs its 1 alloc/op.
func TestChainStrippingAllocatesNothing(t *testing.T) {
	chain, err := authn.NewChain(fixed("skip", authn.Skip("")), contributeUser("alice"))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	forged := forgedHeaders()
	if n := testing.AllocsPerRun(100, func() {
		for k, v := range forged {
			r.Header[k] = v
		}
		_, _, _ = chain.Authenticate(r)
	}); n > 1 {
		t.Errorf("%v allocs/op, want 1", n)
	}
	for k := range r.Header {
		if authn.DefaultIdentityHeaders().Contains(k) {
			t.Errorf("%s left", k)
		}
	}
}

// BenchmarkChainTwoStrategies measures the chain's own overhead, identity
// header stripping included: one skip and one contribution cost 1 alloc/op
// (the trace and Via, which share one allocation).
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

// TestChainRunSizes: for every chain length, the Trace holds each
// strategy's entry, and extending one run's Via or Trace touches neither
// the other nor another run.
func TestChainRunSizes(t *testing.T) {
	for n := 1; n <= 10; n++ {
		strategies := []authn.Strategy{contributeUser("alice")}
		for i := 1; i < n; i++ {
			strategies = append(strategies, fixed(fmt.Sprintf("skip-%d", i), authn.Skip("skipped")))
		}
		chain, err := authn.NewChain(strategies...)
		if err != nil {
			t.Fatal(err)
		}
		p, trace, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(trace) != n {
			t.Fatalf("%d strategies: trace of %d", n, len(trace))
		}
		p.Via = append(p.Via, "evil", "evil", "evil")
		trace = append(trace, authn.TraceEntry{Strategy: "evil"})
		again, againTrace, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(againTrace) != n || againTrace[n-1].Strategy == "evil" || len(again.Via) != 1 || again.Via[0] != "user-alice" {
			t.Errorf("%d strategies: a second run sees the first's edits: via %v, trace %v", n, again.Via, againTrace)
		}
		if trace[0].Strategy != "user-alice" || p.Via[0] != "user-alice" {
			t.Errorf("%d strategies: an append to Via changed the trace or Via: %v, %v", n, trace[0], p.Via)
		}
	}
}
