package authn_test

// Second adversarial review of the fixes: a nil *authn.Error through fmt
// and errors, and the strategy-name syntax of NewChain.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authchain/authchain/authn"
)

// TestAttack8bNilErrorThroughFmtAndErrors: a nil *authn.Error, held
// directly or wrapped, prints, marshals and classifies without a panic and
// matches no kind, so StatusCode says 500 unless a real kind is beside it.
func TestAttack8bNilErrorThroughFmtAndErrors(t *testing.T) {
	var nilErr *authn.Error
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v", r)
		}
	}()
	for _, err := range []error{nilErr, fmt.Errorf("w: %w", nilErr), errors.Join(nilErr), errors.Join(nilErr, nilErr)} {
		_ = fmt.Sprintf("%v %+v %s %q", err, err, err, err)
		if _, merr := json.Marshal(err); merr != nil {
			t.Errorf("json.Marshal(%v): %v", err, merr)
		}
		for _, kind := range []error{authn.ErrRejected, authn.ErrUnauthenticated, authn.ErrForbidden, authn.ErrUnavailable} {
			if errors.Is(err, kind) {
				t.Errorf("%v matches %v", err, kind)
			}
		}
		if got := authn.StatusCode(err); got != http.StatusInternalServerError {
			t.Errorf("StatusCode(%v) = %d, want 500", err, got)
		}
	}
	// A real kind beside the nil one still decides.
	if got := authn.StatusCode(errors.Join(nilErr, &authn.Error{Kind: authn.ErrForbidden})); got != http.StatusForbidden {
		t.Errorf("StatusCode(join(nil, forbidden)) = %d, want 403", got)
	}
	if got := nilErr.Unwrap(); got != nil {
		t.Errorf("Unwrap of nil = %v", got)
	}
}

func newChainErr(ss ...authn.Strategy) error {
	_, err := authn.NewChain(ss...)
	return err
}

// TestAttack8bStrategyNameSyntaxBoundaries: 63 bytes pass and 64 do not;
// the reserved names are refused through Named and in every spelling the
// syntax would let through; look-alikes outside ASCII are refused.
func TestAttack8bStrategyNameSyntaxBoundaries(t *testing.T) {
	ok := []string{strings.Repeat("a", 63), "a", "0", "jwt.issuer-1_a", "chain1", "chain-a", "x.chain", "a--b", "a._-b"}
	for _, name := range ok {
		if err := newChainErr(authn.Named(name, skipper("inner"))); err != nil {
			t.Errorf("name %q refused: %v", name, err)
		}
	}
	bad := []string{
		strings.Repeat("a", 64), strings.Repeat("é", 20), "chain", "authenticator", "Chain", "CHAIN", "Authenticator",
		"chain.", ".chain", "-chain", "chain_", " chain", "chain\n", "chain\x00",
		"ch\u0430in",  // Cyrillic a
		"\uff43hain",  // full-width c
		"chain\u200b", // zero-width space
		"chai\u0144",  // n with acute
		"a/b", "a b", "a:b", "a@b", "",
	}
	for _, name := range bad {
		if err := newChainErr(authn.Named(name, skipper("inner"))); err == nil {
			t.Errorf("name %q accepted", name)
		}
		if err := newChainErr(skipper(name)); err == nil {
			t.Errorf("StrategyFunc name %q accepted", name)
		}
	}
	// Names that differ only in a separator are distinct strategies, and
	// each shows as itself.
	c, err := authn.NewChain(skipper("jwt-a"), skipper("jwt_a"), skipper("jwt.a"))
	if err != nil {
		t.Fatalf("names differing in a separator refused: %v", err)
	}
	if got := strings.Join(c.Strategies(), ","); got != "jwt-a,jwt_a,jwt.a" {
		t.Errorf("Strategies() = %s", got)
	}
}

// shifty is a strategy whose name changes after the chain was built.
type shifty struct {
	calls atomic.Int64
	later string
}

func (s *shifty) Name() string {
	if s.calls.Add(1) > 1 {
		return s.later
	}
	return "honest"
}

func (s *shifty) Authenticate(*http.Request, authn.Principal) authn.Decision {
	return authn.Reject("no")
}

// TestAttack8bStrategyNameCheckedOnceIsTheNameShown: NewChain checks a
// strategy's name once, then asks Name() again on every request for the
// trace, Via and errors. A strategy whose name changes afterwards (a field
// set after construction, say) shows as "chain", or with a newline, there:
// the syntax and the reserved names are bypassed.
func TestAttack8bStrategyNameCheckedOnceIsTheNameShown(t *testing.T) {
	for _, later := range []string{"chain", "authenticator", "x\nauthn: forged: log line", ""} {
		s := &shifty{later: later}
		c, err := authn.NewChain(s)
		if err != nil {
			t.Fatal(err)
		}
		_, tr, err := c.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
		var ae *authn.Error
		if !errors.As(err, &ae) {
			t.Fatalf("error %v", err)
		}
		if ae.Strategy != "honest" || len(tr) != 1 || tr[0].Strategy != "honest" {
			t.Errorf("name %q checked at construction, the error shows %q and the trace %q", "honest", ae.Strategy, tr[0].Strategy)
		}
	}
}
