package authn_test

// More adversarial tests of package authn: look-alike characters at the
// edges of the name rule, the chain's header stripping against
// strategies that replace the request's header map, hostile
// WithStrippedHeaders patterns, copies sharing state, and wrapped
// strategies. A failing test is a way in.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/authn/strategies"
)

// TestAttack2_NameRuleRegressions: invisible and blank-rendering
// characters the rule must refuse, mid-name and leading, in users, groups
// and extra (the chain's result check).
func TestAttack2_NameRuleRegressions(t *testing.T) {
	for _, r := range []rune{0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x1D159, 0x180E, 0x180B, 0x180F, 0x17B4, 0x17B5, 0x034F,
		0x1BCA0, 0x1BCA3, 0x13430, 0xFFF9, 0x110BD, 0x1D173, 0x1D17A, 0xE0020, 0xE007F, 0xE0001, 0x2061, 0x2064, 0x2065, 0x3000,
		0x1680, 0x200B, 0x200D, 0xFE0F, 0xE0100, 0x2028, 0x2029, 0x0085, 0x00AD, 0x061C, 0x0600, 0x08E2, 0xFEFF, 0x202E, 0x2066} {
		for _, v := range []string{"ali" + string(r) + "ce", string(r) + "alice", "alice" + string(r)} {
			if authn.CheckUserName(v) == nil {
				t.Errorf("CheckUserName admits %+q", v)
			}
			if authn.CheckGroupName(v) == nil {
				t.Errorf("CheckGroupName admits %+q", v)
			}
		}
	}
	// Leading marks in every field the chain checks.
	for _, u := range []authn.User{
		{Name: "alice", Groups: []string{"\u0301admins"}},
		{Name: "alice", Extra: map[string][]string{"\u20DDk": {"v"}}},
		{Name: "alice", Extra: map[string][]string{"k": {"\u0903v"}}},
		{Name: "alice", UID: "\u0488u"},
		{Name: "alice", Email: "\u0301a@x"},
	} {
		chain, err := authn.NewChain(authn.StrategyFunc("c", func(_ *http.Request, p authn.Principal) authn.Decision {
			p.User = u
			return authn.Contribute(p, "")
		}))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil)); err == nil {
			t.Errorf("chain admitted %+v", u)
		}
	}
}

// TestAttack_NameRuleBlankFillers: besides the Hangul fillers and the
// blank braille pattern, U+16FE4 KHITAN SMALL SCRIPT FILLER and U+FFFC
// OBJECT REPLACEMENT CHARACTER render blank, so "alice" followed by one
// must not pass for a second identity.
func TestAttack_NameRuleBlankFillers(t *testing.T) {
	for _, v := range []string{"alice\U00016FE4", "ali\U00016FE4ce", "alice\uFFFC", "admins\uFFFC"} {
		if err := authn.CheckUserName(v); err == nil {
			t.Errorf("CheckUserName admits %+q, which renders as %q", v, strings.Map(func(r rune) rune {
				if r == 0x16FE4 || r == 0xFFFC {
					return -1
				}
				return r
			}, v))
		}
	}
}

// TestAttack_NameRuleLeadingJoiners: a name may not start with a character
// that fuses with whatever is shown before it, though not a combining mark:
// a Hangul medial vowel or final consonant jamo (U+1161, U+11A8), or an
// emoji skin tone modifier (U+1F3FB).
func TestAttack_NameRuleLeadingJoiners(t *testing.T) {
	for _, v := range []string{"\u1161lice", "\u11A8bob", "\U0001F3FBalice"} {
		if err := authn.CheckUserName(v); err == nil {
			t.Errorf("CheckUserName admits %+q, whose first character joins what precedes it", v)
		}
	}
}

// TestAttack_StripAfterHeaderMapReplaced: a strategy that replaces the
// request's header map (here `*r = *r.Clone(ctx)`, to attach a context
// value, which is what r.Clone is for) must not leave the client's
// X-Forwarded-User and Impersonate-User for the handler: the chain strips
// the map r holds when it returns, as well as the one it started with.
func TestAttack_StripAfterHeaderMapReplaced(t *testing.T) {
	type ctxKey struct{}
	tagger := authn.StrategyFunc("tagger", func(r *http.Request, p authn.Principal) authn.Decision {
		*r = *r.Clone(context.WithValue(r.Context(), ctxKey{}, "seen"))
		return authn.Skip("tagged")
	})
	human := authn.StrategyFunc("human", func(_ *http.Request, p authn.Principal) authn.Decision {
		p.User = authn.User{Name: "alice"}
		return authn.Contribute(p, "")
	})
	for _, tail := range [][]authn.Strategy{{human}, {}} {
		chain, err := authn.NewChain(append([]authn.Strategy{tagger}, tail...)...)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("X-Forwarded-User", "root")
		r.Header.Set("Impersonate-User", "root")
		_, _, err = chain.Authenticate(r)
		for _, h := range []string{"X-Forwarded-User", "Impersonate-User"} {
			if r.Header.Get(h) != "" {
				t.Errorf("err=%v: after the chain the request still carries %s", err, h)
			}
		}
	}
}

// TestAttack2_WithStrippedHeadersHostilePatterns: "*", "", patterns with
// spaces or colons are refused; "X-*" strips every X- header; a huge list
// stays usable; an error leaves no half-built chain.
func TestAttack2_WithStrippedHeadersHostilePatterns(t *testing.T) {
	chain, err := authn.NewChain(authn.StrategyFunc("h", func(_ *http.Request, p authn.Principal) authn.Decision {
		p.User = authn.User{Name: "alice"}
		return authn.Contribute(p, "")
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{"*"}, {""}, {"**"}, {"X Foo"}, {"X-Foo:"}, {"X-*-Bar"}, {"X-Foo\r\n"}, {" X-Foo"}, {"X-Ok", "*"}, {"Ä-Foo"}} {
		c, err := chain.WithStrippedHeaders(bad...)
		if err == nil {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer x")
			r.Header.Set("Accept", "x")
			_, _, _ = c.Authenticate(r)
			t.Errorf("pattern %q accepted (strips: %v; left %v)", bad, c.StrippedHeaders(), r.Header)
		}
	}
	c, err := chain.WithStrippedHeaders("X-*")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Anything", "1")
	r.Header["x_lower_underscore"] = []string{"1"}
	r.Header.Set("Accept", "1")
	if _, _, err := c.Authenticate(r); err != nil {
		t.Fatal(err)
	}
	if len(r.Header) != 1 || r.Header.Get("Accept") == "" {
		t.Errorf("X-* left %v", r.Header)
	}
	// A huge list: 20,000 names and prefixes.
	var many []string
	for i := range 20000 {
		if i%2 == 0 {
			many = append(many, fmt.Sprintf("X-Gen-%d", i))
		} else {
			many = append(many, fmt.Sprintf("X-Pre-%d-*", i))
		}
	}
	start := time.Now()
	c, err = chain.WithStrippedHeaders(many...)
	if err != nil {
		t.Fatal(err)
	}
	// Building is quadratic in the number of prefixes (newHeaderSet's
	// hasPrefix); it is configuration, not attacker input, so only logged.
	t.Logf("building a set of %d patterns took %v", len(many), time.Since(start))
	start = time.Now()
	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Gen-19998", "1")
	r.Header.Set("X-Pre-19999-tail", "1")
	r.Header.Set("X-Forwarded-User", "root")
	if _, _, err := c.Authenticate(r); err != nil {
		t.Fatal(err)
	}
	if len(r.Header) != 0 {
		t.Errorf("huge list left %v", r.Header)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("one request against the huge list took %v", d)
	}
}

// TestAttack2_WithStrippedHeadersCopiesAreIndependent: a copy strips what
// it was given and the original does not; the original's own set is
// unchanged after many copies; both run concurrently (-race).
func TestAttack2_WithStrippedHeadersCopiesAreIndependent(t *testing.T) {
	base, err := authn.NewChain(authn.StrategyFunc("h", func(_ *http.Request, p authn.Principal) authn.Decision {
		p.User = authn.User{Name: "alice"}
		return authn.Contribute(p, "")
	}))
	if err != nil {
		t.Fatal(err)
	}
	before := strings.Join(base.StrippedHeaders(), ",")
	var copies []*authn.Chain
	for i := range 8 {
		c, err := base.WithStrippedHeaders(fmt.Sprintf("X-Copy-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		copies = append(copies, c)
	}
	if after := strings.Join(base.StrippedHeaders(), ","); after != before {
		t.Fatalf("original changed: %s -> %s", before, after)
	}
	var wg sync.WaitGroup
	for i, c := range append(copies, base) {
		wg.Go(func() {
			for range 200 {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				for j := range 8 {
					r.Header.Set(fmt.Sprintf("X-Copy-%d", j), "v")
				}
				r.Header.Set("X-Remote-User", "root")
				if _, _, err := c.Authenticate(r); err != nil {
					t.Error(err)
					return
				}
				for j := range 8 {
					_, kept := r.Header[fmt.Sprintf("X-Copy-%d", j)]
					if kept == (j == i) {
						t.Errorf("chain %d: X-Copy-%d kept=%v", i, j, kept)
						return
					}
				}
				if r.Header.Get("X-Remote-User") != "" {
					t.Errorf("chain %d kept X-Remote-User", i)
					return
				}
			}
		})
	}
	wg.Wait()
}

// wrapped is a metrics wrapper, as applications write them, that embeds
// the Strategy interface and so hides the inner strategy's Validate.
type wrapped struct{ authn.Strategy }

// TestAttack2_WrappedUnbuiltStrategy: NewChain cannot see through a
// wrapper; the unbuilt inner strategy then panics on a request. The secure
// outcome that must hold: the panic still strips identity headers, and a
// wrapper that forwards Validate is refused.
func TestAttack2_WrappedUnbuiltStrategy(t *testing.T) {
	chain, err := authn.NewChain(wrapped{&jwt.Strategy{}})
	if err != nil {
		t.Logf("wrapper refused: %v", err)
		return
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer a.b.c")
	r.Header.Set("X-Forwarded-User", "root")
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Logf("wrapped unbuilt strategy panicked on a request (NewChain cannot see it): %v", v)
			}
		}()
		_, _, _ = chain.Authenticate(r)
	}()
	if r.Header.Get("X-Forwarded-User") != "" {
		t.Error("identity header kept after a panicking wrapped strategy")
	}
	// Embedding the pointer type promotes Validate: refused.
	type embedsPointer struct{ *jwt.Strategy }
	if _, err := authn.NewChain(embedsPointer{&jwt.Strategy{}}); err == nil {
		t.Error("a wrapper embedding *jwt.Strategy (Validate promoted) was accepted unbuilt")
	}
	if _, err := authn.NewChain(embedsPointer{nil}); err == nil {
		t.Error("a wrapper embedding a nil *jwt.Strategy was accepted")
	}
}

type panickyValidator struct{}

func (panickyValidator) Name() string { return "pv" }
func (panickyValidator) Authenticate(*http.Request, authn.Principal) authn.Decision {
	return authn.Skip("")
}
func (panickyValidator) Validate() error { panic("validate bug") }

// TestAttack2_NilAndPanickyStrategies: StrategyFunc of nil, typed nils and
// a Validator that panics never yield a chain that runs.
func TestAttack2_NilAndPanickyStrategies(t *testing.T) {
	var nilFunc func(*http.Request, authn.Principal) authn.Decision
	for name, s := range map[string]authn.Strategy{
		"StrategyFunc(nil)":     authn.StrategyFunc("f", nil),
		"StrategyFunc(var nil)": authn.StrategyFunc("f", nilFunc),
		"nil *jwt.Strategy":     (*jwt.Strategy)(nil),
		"nil *Annotation":       (*strategies.AnnotationStrategy)(nil),
		"zero TokenReview":      &tokenreview.Strategy{},
		"zero Synthetic":        &strategies.SyntheticStrategy{},
		"zero Forwarded":        &strategies.ForwardedStrategy{},
		"zero Annotation":       &strategies.AnnotationStrategy{},
	} {
		if _, err := authn.NewChain(s); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	built := false
	func() {
		defer func() { _ = recover() }()
		_, err := authn.NewChain(panickyValidator{})
		built = err == nil
	}()
	if built {
		t.Error("a Validator that panics yielded a chain")
	}
}
