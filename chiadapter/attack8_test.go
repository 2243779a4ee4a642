package chiadapter_test

// Adversarial tests of Require and RequireActorAttribute: checks that
// return odd errors, attributes under other spellings, callers reusing
// their slices.

import (
	"net/http"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

// serveNoPanic is serveAs, reporting a panic instead of crashing the test.
func serveNoPanic(t *testing.T, mw func(http.Handler) http.Handler, p *authn.Principal) (code int, called bool) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("the middleware panicked: %v", r)
			code, called = 0, false
		}
	}()
	rec, called := serveAs(mw, p)
	return rec.Code, called
}

// TestAttack8RequireTypedNilAuthnErrorIsARefusal: the classic Go mistake,
// a check that returns a nil *authn.Error through the error interface.
// WriteProblem answers a nil *authn.Error; Require must too, and never
// admit nor panic.
func TestAttack8RequireTypedNilAuthnErrorIsARefusal(t *testing.T) {
	check := func(p authn.Principal) error {
		var denied *authn.Error
		if p.User.Name == "mallory" {
			denied = &authn.Error{Reason: "mallory is banned"}
		}
		return denied // non-nil interface holding a nil pointer
	}
	code, called := serveNoPanic(t, chiadapter.Require("require-ban", check), &authn.Principal{User: authn.User{Name: "alice"}})
	if called {
		t.Error("the handler ran although check returned a non-nil error")
	}
	if code != 0 && code < 400 {
		t.Errorf("status %d, want an error status", code)
	}
}

func TestAttack8RequireActorAttributeOtherSpellingOfKeyIsRefused(t *testing.T) {
	p := &authn.Principal{
		User:  authn.User{Name: "alice"},
		Actor: &authn.ServiceAccount{Namespace: "keys", Name: "k", Attributes: map[string]string{"example.com/role": "write"}},
	}
	// Keys and values with surrounding space are refused when the cap is
	// built (TestAttack8RequireActorAttributeUnmatchableKeyPanics).
	for _, key := range []string{"Example.com/Role", "example.com_role", "example.com/ROLE"} {
		if _, called := serveNoPanic(t, chiadapter.RequireActorAttribute(key, "write"), p); called {
			t.Errorf("key %q matched attribute example.com/role", key)
		}
	}
	for _, v := range []string{"Write", "WRITE"} {
		if _, called := serveNoPanic(t, chiadapter.RequireActorAttribute("example.com/role", v), p); called {
			t.Errorf("allowed value %q matched write", v)
		}
	}
}

func TestAttack8RequireActorAttributeNilAttributesAndZeroUser(t *testing.T) {
	noAttrs := &authn.Principal{User: authn.User{Name: "alice"}, Actor: &authn.ServiceAccount{Namespace: "keys", Name: "k"}}
	if code, called := serveNoPanic(t, chiadapter.RequireActorAttribute("example.com/role", "write"), noAttrs); called || code != http.StatusForbidden {
		t.Errorf("Actor without attributes: %d, handler ran %v; want 403", code, called)
	}
	// An Actor with the attribute but no effective user is not admitted.
	actorOnly := &authn.Principal{Actor: &authn.ServiceAccount{Namespace: "keys", Name: "k", Attributes: map[string]string{"example.com/role": "write"}}}
	if code, called := serveNoPanic(t, chiadapter.RequireActorAttribute("example.com/role", "write"), actorOnly); called || code != http.StatusUnauthorized {
		t.Errorf("Actor without user: %d, handler ran %v; want 401", code, called)
	}
}

func TestAttack8RequireActorAttributeCallerSliceReuse(t *testing.T) {
	allowed := []string{"read"}
	mw := chiadapter.RequireActorAttribute("example.com/role", allowed...)
	allowed[0] = "write"
	p := &authn.Principal{User: authn.User{Name: "a"}, Actor: &authn.ServiceAccount{Namespace: "k", Name: "k", Attributes: map[string]string{"example.com/role": "write"}}}
	if _, called := serveNoPanic(t, mw, p); called {
		t.Error("changing the caller's slice after construction widened the cap")
	}
}

func TestAttack8RequireActorAttributeEmptyPolicyPanics(t *testing.T) {
	for name, build := range map[string]func(){
		"no values":   func() { chiadapter.RequireActorAttribute("example.com/role") },
		"empty value": func() { chiadapter.RequireActorAttribute("example.com/role", "write", "") },
		"empty key":   func() { chiadapter.RequireActorAttribute("", "write") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			build()
		}()
	}
}

// TestAttack8RequireActorAttributeUnmatchableKeyPanics: a key no attribute
// can have (surrounding space, a control character) makes a cap that admits
// no key, which the doc calls a programming error to catch at build time.
func TestAttack8RequireActorAttributeUnmatchableKeyPanics(t *testing.T) {
	for _, key := range []string{" example.com/role", "example.com/role\n", "example.com/role\x00"} {
		func() {
			defer func() { _ = recover() }()
			chiadapter.RequireActorAttribute(key, "write")
			t.Errorf("RequireActorAttribute(%q) built a cap no key can pass", key)
		}()
	}
}

// TestAttack8AuthenticatorTypedNilErrorFailsClosed: a wrapper returning a
// nil *authn.Error through the error interface, with a Principal, is not
// admitted, and the middleware does not panic.
func TestAttack8AuthenticatorTypedNilErrorFailsClosed(t *testing.T) {
	a := authn.AuthenticatorFunc(func(*http.Request) (authn.Principal, authn.Trace, error) {
		var e *authn.Error
		return authn.Principal{User: authn.User{Name: "alice"}}, nil, e
	})
	code, called := serveNoPanic(t, chiadapter.Authenticate(a), nil)
	if called || (code != 0 && code < 400) {
		t.Errorf("status %d, handler ran %v", code, called)
	}
}
