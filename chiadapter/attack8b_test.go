package chiadapter_test

// Second adversarial review of the fixes: a nil *authn.Error wrapped by
// fmt.Errorf or errors.Join, what a custom error writer receives, and the
// key and value checks of RequireActorAttribute.

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

// nilAuthnErrorWraps are the ways a wrapper hides a nil *authn.Error in a
// non-nil error.
func nilAuthnErrorWraps() map[string]error {
	var nilErr *authn.Error
	return map[string]error{
		"direct":       nilErr,
		"fmt.Errorf":   fmt.Errorf("metrics wrapper: %w", nilErr),
		"errors.Join":  errors.Join(nilErr),
		"double %w":    fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", nilErr)),
		"join with io": errors.Join(errors.New("timeout"), nilErr),
	}
}

// authenticateAs serves one request through Authenticate over an
// authenticator answering alice with err, reporting a panic as an error.
func authenticateAs(t *testing.T, err error, opts ...chiadapter.Option) (rec *httptest.ResponseRecorder, called bool) {
	t.Helper()
	a := authn.AuthenticatorFunc(func(*http.Request) (authn.Principal, authn.Trace, error) {
		return authn.Principal{User: authn.User{Name: "alice"}}, nil, err
	})
	rec = httptest.NewRecorder()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Authenticate panicked: %v", r)
		}
	}()
	h := chiadapter.Authenticate(a, opts...)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	return rec, called
}

// TestAttack8bAuthenticateWrappedNilErrorFailsClosedWithWriteProblem: with
// the default writer, every wrapping of a nil *authn.Error is refused
// without a panic, and the body echoes no wrapper text.
func TestAttack8bAuthenticateWrappedNilErrorFailsClosedWithWriteProblem(t *testing.T) {
	for name, err := range nilAuthnErrorWraps() {
		rec, called := authenticateAs(t, err)
		if called || rec.Code < 400 {
			t.Errorf("%s: status %d, handler ran %v; want a refusal", name, rec.Code, called)
		}
	}
}

// TestAttack8bErrorWriterNeverGetsANilAuthnError: WithErrorWriter says
// "err is an *authn.Error". A writer using the common idiom
// errors.As(err, &ae) then reading ae.Reason must not be handed an error
// in which errors.As finds a nil *authn.Error: the direct case is replaced
// by errNilError, a wrapped one is passed on as it came.
func TestAttack8bErrorWriterNeverGetsANilAuthnError(t *testing.T) {
	for name, err := range nilAuthnErrorWraps() {
		var got error
		writer := chiadapter.WithErrorWriter(func(w http.ResponseWriter, _ *http.Request, err error) {
			got = err
			var ae *authn.Error
			if errors.As(err, &ae) && ae == nil {
				t.Errorf("%s: the error writer got %q, in which errors.As finds a nil *authn.Error; "+
					"a writer reading ae.Reason panics", name, err)
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			chiadapter.WriteProblem(w, nil, err)
		})
		if rec, called := authenticateAs(t, err, writer); called || rec.Code < 400 {
			t.Errorf("%s: status %d, handler ran %v (writer got %v)", name, rec.Code, called, got)
		}
	}
}

// TestAttack8bWrappedNilErrorAnswersLikeADirectOne: a nil *authn.Error is
// a 401 ("authenticator returned a nil error value"); the same mistake one
// fmt.Errorf away is a 500. The status a client sees should not depend on
// whether a wrapper added context to its broken error.
func TestAttack8bWrappedNilErrorAnswersLikeADirectOne(t *testing.T) {
	errs := nilAuthnErrorWraps()
	direct, _ := authenticateAs(t, errs["direct"])
	for _, name := range []string{"fmt.Errorf", "errors.Join", "double %w"} {
		rec, _ := authenticateAs(t, errs[name])
		if rec.Code != direct.Code {
			t.Errorf("%s: status %d, a direct nil *authn.Error gets %d", name, rec.Code, direct.Code)
		}
	}
}

// TestAttack8bNilErrorAnswerIsNotSharedBetweenRequests: the *authn.Error
// answering a nil one is a package variable handed to every writer and
// observer. One that edits it in place (localising Reason, say) changes
// the answer of every later request of every Authenticate in the process.
func TestAttack8bNilErrorAnswerIsNotSharedBetweenRequests(t *testing.T) {
	var nilErr *authn.Error
	var first, second *authn.Error
	rewrite := chiadapter.WithErrorWriter(func(w http.ResponseWriter, r *http.Request, err error) {
		var ae *authn.Error
		if errors.As(err, &ae) && ae != nil {
			if first == nil {
				first = ae
				// A writer's in-place edit, undone so later tests see the
				// library's own answer.
				reason := ae.Reason
				ae.Reason = "rewritten by a writer"
				t.Cleanup(func() { ae.Reason = reason })
			}
		}
		chiadapter.WriteProblem(w, r, err)
	})
	authenticateAs(t, nilErr, rewrite)
	authenticateAs(t, nilErr, chiadapter.WithErrorWriter(func(w http.ResponseWriter, r *http.Request, err error) {
		var ae *authn.Error
		if errors.As(err, &ae) && ae != nil {
			second = ae
		}
		chiadapter.WriteProblem(w, r, err)
	}))
	if first == nil || second == nil {
		t.Fatalf("the writers got no *authn.Error (first %v, second %v)", first, second)
	}
	if first == second || second.Reason == "rewritten by a writer" {
		t.Errorf("two requests got the same *authn.Error; an edit by one writer shows in the other's answer: %q", second.Reason)
	}
}

// TestAttack8bRequireWrappedNilErrorRefuses: a Require check returning a
// nil *authn.Error behind fmt.Errorf or errors.Join is a 403, not an
// admission or a panic.
func TestAttack8bRequireWrappedNilErrorRefuses(t *testing.T) {
	alice := &authn.Principal{User: authn.User{Name: "alice"}}
	for name, err := range nilAuthnErrorWraps() {
		var gotErr error
		writer := func(w http.ResponseWriter, _ *http.Request, err error) {
			gotErr = err
			var ae *authn.Error
			if errors.As(err, &ae) && ae == nil {
				t.Errorf("%s: Require handed the writer a nil *authn.Error", name)
			}
			w.WriteHeader(authn.StatusCode(err))
		}
		auth := chiadapter.Authenticate(authn.AuthenticatorFunc(func(*http.Request) (authn.Principal, authn.Trace, error) {
			return *alice, nil, nil
		}), chiadapter.WithErrorWriter(writer))
		req := chiadapter.Require("require-check", func(authn.Principal) error { return err })
		code, called := serveNoPanic(t, func(h http.Handler) http.Handler { return auth(req(h)) }, nil)
		if called || code != http.StatusForbidden {
			t.Errorf("%s: status %d, handler ran %v; want 403 (writer got %v)", name, code, called, gotErr)
		}
	}
}

// TestAttack8bRequireActorAttributeAdmitsLegitimateKeysAndValues: the
// CheckName guard must not refuse what attributes really hold: annotation
// and label keys with a prefix, values with inner space, punctuation and
// non-ASCII letters in NFC.
func TestAttack8bRequireActorAttributeAdmitsLegitimateKeysAndValues(t *testing.T) {
	for _, kv := range [][2]string{
		{"ambient-code.io/role", "read"},
		{"ambient-code.io/role", "read only"},
		{"app.kubernetes.io/part-of", "ambient_access-key.v2"},
		{"role", "admin:all"},
		{"example.com/scope", "équipe données"},
		{"example.com/scope", "読み取り"},
	} {
		var mw func(http.Handler) http.Handler
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("RequireActorAttribute(%q, %q) panicked: %v", kv[0], kv[1], r)
				}
			}()
			mw = chiadapter.RequireActorAttribute(kv[0], kv[1])
		}()
		if mw == nil {
			continue
		}
		p := &authn.Principal{
			User:  authn.User{Name: "alice"},
			Actor: &authn.ServiceAccount{Namespace: "keys", Name: "k", Attributes: map[string]string{kv[0]: kv[1]}},
		}
		if code, called := serveNoPanic(t, mw, p); !called {
			t.Errorf("%q=%q: status %d, the cap refused its own value", kv[0], kv[1], code)
		}
	}
}

// TestAttack8bRequireActorAttributeRefusesLookAlikeValues: values a
// configuration could hold by mistake and no attribute can (a decomposed
// é, a zero-width space, a trailing NBSP) panic at construction.
func TestAttack8bRequireActorAttributeRefusesLookAlikeValues(t *testing.T) {
	for _, v := range []string{"e\u0301quipe", "read\u200b", "read\u00a0", "\u202eread", "read\u2028"} {
		func() {
			defer func() { _ = recover() }()
			chiadapter.RequireActorAttribute("example.com/scope", v)
			t.Errorf("allowed value %q accepted although no attribute can hold it", v)
		}()
	}
}
