package authn_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
)

// Two strategies of one name coexist once named; Via, the Trace and errors
// show the names.
func TestNamedLetsOneStrategyRunTwice(t *testing.T) {
	reject := fixed("check", authn.Reject("bad"))
	if _, err := authn.NewChain(fixed("check", authn.Skip("no")), reject); err == nil {
		t.Fatal("repeated name accepted")
	}
	user := contributeUser("alice")
	chain, err := authn.NewChain(authn.Named("first", user), authn.Named("second", user))
	if err != nil {
		t.Fatal(err)
	}
	p, trace, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"first", "second"}, p.Via); diff != "" {
		t.Errorf("Via (-want +got):\n%s", diff)
	}
	if trace[0].Strategy != "first" || trace[1].Strategy != "second" {
		t.Errorf("trace %v, want the names", trace)
	}
	if got := chain.Strategies(); !cmp.Equal(got, []string{"first", "second"}) {
		t.Errorf("Strategies() = %v", got)
	}

	chain, err = authn.NewChain(authn.Named("strict", reject))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
	var ae *authn.Error
	if !errors.As(err, &ae) || ae.Strategy != "strict" || !errors.Is(err, authn.ErrRejected) {
		t.Errorf("err = %v, want a rejection naming %q", err, "strict")
	}
}

// NewChain refuses what it would refuse unnamed, and an empty name.
func TestNamedRefusedByNewChain(t *testing.T) {
	for name, s := range map[string]authn.Strategy{
		"empty name":                 authn.Named("", contributeUser("a")),
		"nil strategy":               authn.Named("x", nil),
		"typed nil pointer":          authn.Named("x", (*pointerStrategy)(nil)),
		"StrategyFunc of a nil func": authn.Named("x", authn.StrategyFunc("f", nil)),
		"fails Validate":             authn.Named("x", &validatedStrategy{}),
		"named twice, inner nil":     authn.Named("x", authn.Named("y", nil)),
		"invalid header pattern":     authn.Named("x", headerStrategy{headers: []string{"X Bad"}}),
	} {
		t.Run(name, func(t *testing.T) {
			if c, err := authn.NewChain(contributeUser("a"), s); err == nil || c != nil {
				t.Errorf("accepted: (%v, %v)", c, err)
			}
		})
	}
	_, err := authn.NewChain(authn.Named("x", &validatedStrategy{}))
	if !errors.Is(err, errUnbuilt) || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("err = %v, want the inner Validate error under the new name", err)
	}
	ready := &validatedStrategy{decide: func() authn.Decision { return authn.Skip("ready") }}
	if _, err := authn.NewChain(authn.Named("x", ready), authn.Named("y", headerStrategy{})); err != nil {
		t.Errorf("ready strategies refused: %v", err)
	}
}

// A named HeaderReader keeps its headers stripped.
func TestNamedKeepsHeaders(t *testing.T) {
	inner := headerStrategy{headers: []string{"X-Custom-User", "X-Custom-Extra-*"}}
	named := authn.Named("custom", inner)
	hr, ok := named.(authn.HeaderReader)
	if !ok {
		t.Fatal("Named result is not a HeaderReader")
	}
	if diff := cmp.Diff(inner.headers, hr.Headers()); diff != "" {
		t.Errorf("Headers (-want +got):\n%s", diff)
	}
	chain, err := authn.NewChain(named, contributeUser("a"))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header = forgedHeaders()
	if _, _, err := chain.Authenticate(r); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"X-Custom-User", "x-custom-extra-team"} {
		if _, ok := r.Header[h]; ok {
			t.Errorf("%s not stripped through Named", h)
		}
	}
	if v, ok := authn.Named("plain", contributeUser("a")).(authn.HeaderReader); ok && len(v.Headers()) != 0 {
		t.Errorf("Named of a strategy without headers lists %v", v.Headers())
	}
}
