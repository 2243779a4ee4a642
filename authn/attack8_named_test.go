package authn_test

// Adversarial tests of authn.Named: names that make two strategies, or a
// strategy and the chain itself, indistinguishable in Via, the Trace and
// errors.

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authchain/authchain/authn"
)

func skipper(name string) authn.Strategy {
	return authn.StrategyFunc(name, func(*http.Request, authn.Principal) authn.Decision { return authn.Skip("no") })
}

func TestAttack8NamedEmptyOrRepeatedNameRefused(t *testing.T) {
	if _, err := authn.NewChain(authn.Named("", skipper("a"))); err == nil {
		t.Error("Named with an empty name accepted")
	}
	if _, err := authn.NewChain(skipper("jwt"), authn.Named("jwt", skipper("b"))); err == nil {
		t.Error("Named with the name of another strategy accepted")
	}
	if _, err := authn.NewChain(authn.Named("x", nil)); err == nil {
		t.Error("Named around nil accepted")
	}
	if _, err := authn.NewChain(authn.Named("x", authn.StrategyFunc("f", nil))); err == nil {
		t.Error("Named around a StrategyFunc of nil accepted")
	}
	if _, err := authn.NewChain(authn.Named("x", authn.Named("y", nil))); err == nil {
		t.Error("Named around Named around nil accepted")
	}
}

// a8NotReady is a strategy whose Validate refuses, as an unbuilt one does.
type a8NotReady struct{}

func (a8NotReady) Name() string                                               { return "notready" }
func (a8NotReady) Authenticate(*http.Request, authn.Principal) authn.Decision { return authn.Skip("") }
func (a8NotReady) Validate() error                                            { return errors.New("not built") }

func TestAttack8NamedDoesNotHideAnUnbuiltStrategy(t *testing.T) {
	if _, err := authn.NewChain(authn.Named("renamed", a8NotReady{})); err == nil {
		t.Error("Named hid an inner strategy whose Validate fails")
	}
}

// TestAttack8NamedCannotImpersonateTheChain: the chain reports its own
// verdicts ("no identity presented", …) under the strategy name "chain".
// A strategy given that name makes its refusals indistinguishable from the
// chain's in the problem body, the Error and logs.
func TestAttack8NamedCannotImpersonateTheChain(t *testing.T) {
	impostor := authn.StrategyFunc("x", func(*http.Request, authn.Principal) authn.Decision {
		return authn.Reject("no identity presented")
	})
	if _, err := authn.NewChain(authn.Named("chain", impostor)); err != nil {
		return
	}
	t.Error(`NewChain accepted a strategy named "chain", the name the chain's own errors carry`)
}

// TestAttack8NamedNamesThatLookAlikeRefused: names that differ only by
// invisible or control characters read the same in a trace or a log line.
func TestAttack8NamedNamesThatLookAlikeRefused(t *testing.T) {
	for _, name := range []string{"jwt ", " jwt", "jwt\n", "jwt\u200b", "jwt\x00"} {
		if _, err := authn.NewChain(skipper("jwt"), authn.Named(name, skipper("b"))); err == nil {
			t.Errorf("NewChain accepted a strategy named %q beside %q", name, "jwt")
		}
	}
}

func TestAttack8NamedKeepsHeadersStripped(t *testing.T) {
	hr := a8HeaderStrategy{}
	c, err := authn.NewChain(authn.Named("renamed", hr))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header["x_custom_key"] = []string{"v"}
	_, _, _ = c.Authenticate(r)
	for k := range r.Header {
		if authn.HeaderNameEqual(k, "X-Custom-Key") {
			t.Errorf("%s survived a Named HeaderReader", k)
		}
	}
}

type a8HeaderStrategy struct{}

func (a8HeaderStrategy) Name() string      { return "hdr" }
func (a8HeaderStrategy) Headers() []string { return []string{"X-Custom-Key"} }
func (a8HeaderStrategy) Authenticate(*http.Request, authn.Principal) authn.Decision {
	return authn.Skip("")
}
