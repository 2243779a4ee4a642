package chiadapter_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

// serveAs runs one request with p (nil: none) in its context through mw and
// reports whether the next handler ran.
func serveAs(mw func(http.Handler) http.Handler, p *authn.Principal) (*httptest.ResponseRecorder, bool) {
	called := false
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	r := newRequest("")
	if p != nil {
		r = r.WithContext(authn.NewContext(r.Context(), *p))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec, called
}

func TestRequireCustomCheck(t *testing.T) {
	alice := &authn.Principal{User: authn.User{Name: "alice"}}
	shared := &authn.Error{Reason: "session too old", Detail: "max age 1h"}
	tests := map[string]struct {
		check       func(authn.Principal) error
		principal   *authn.Principal
		wantStatus  int
		wantHeaders map[string]string
		wantProblem map[string]any
	}{
		"admitted": {check: func(authn.Principal) error { return nil }, principal: alice, wantStatus: http.StatusOK},
		"no principal, check not run": {
			check:       func(authn.Principal) error { panic("check ran without a principal") },
			wantStatus:  http.StatusUnauthorized,
			wantHeaders: problemHeaders(map[string]string{"Www-Authenticate": `Bearer realm="authchain"`}),
			wantProblem: map[string]any{
				"type": chiadapter.ProblemTypeUnauthenticated, "title": "Unauthorized", "status": 401.0,
				"detail": "authentication is required", "strategy": "require-tenant",
			},
		},
		"plain error is a 403 with its message": {
			check:       func(authn.Principal) error { return errors.New("tenant not allowed") },
			principal:   alice,
			wantStatus:  http.StatusForbidden,
			wantHeaders: problemHeaders(nil),
			wantProblem: map[string]any{
				"type": chiadapter.ProblemTypeForbidden, "title": "Forbidden", "status": 403.0,
				"detail": "tenant not allowed", "strategy": "require-tenant",
			},
		},
		"authn.Error keeps its kind and hides its detail": {
			check:       func(authn.Principal) error { return shared },
			principal:   alice,
			wantStatus:  http.StatusForbidden,
			wantHeaders: problemHeaders(nil),
			wantProblem: map[string]any{
				"type": chiadapter.ProblemTypeForbidden, "title": "Forbidden", "status": 403.0,
				"detail": "session too old", "strategy": "require-tenant",
			},
		},
		"authn.Error of another kind": {
			check: func(authn.Principal) error {
				return &authn.Error{Strategy: "step-up", Kind: authn.ErrUnauthenticated, Reason: "fresh login required"}
			},
			principal:   alice,
			wantStatus:  http.StatusUnauthorized,
			wantHeaders: problemHeaders(map[string]string{"Www-Authenticate": `Bearer realm="authchain"`}),
			wantProblem: map[string]any{
				"type": chiadapter.ProblemTypeUnauthenticated, "title": "Unauthorized", "status": 401.0,
				"detail": "fresh login required", "strategy": "step-up",
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			rec, called := serveAs(chiadapter.Require("require-tenant", tt.check), tt.principal)
			if called != (tt.wantStatus == http.StatusOK) || rec.Code != tt.wantStatus {
				t.Fatalf("status %d, next called %v; want %d", rec.Code, called, tt.wantStatus)
			}
			if tt.wantProblem != nil {
				checkProblem(t, rec, tt.wantStatus, tt.wantHeaders, tt.wantProblem)
			}
		})
	}
	if diff := cmp.Diff(&authn.Error{Reason: "session too old", Detail: "max age 1h"}, shared); diff != "" {
		t.Errorf("the check's shared error was modified (-want +got):\n%s", diff)
	}
}

func TestRequireActorAttribute(t *testing.T) {
	const role = "ambient-code.io/role"
	key := func(attrs map[string]string) *authn.Principal {
		return &authn.Principal{
			User:  authn.User{Name: "bob"},
			Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "key-1", Attributes: attrs},
		}
	}
	missing := map[string]any{
		"type": chiadapter.ProblemTypeForbidden, "title": "Forbidden", "status": 403.0,
		"detail": "access key lacks a required attribute", "strategy": "require-actor-attribute",
	}
	notAllowed := map[string]any{
		"type": chiadapter.ProblemTypeForbidden, "title": "Forbidden", "status": 403.0,
		"detail": "access key attribute has a value that is not allowed", "strategy": "require-actor-attribute",
	}
	tests := map[string]struct {
		principal   *authn.Principal
		wantProblem map[string]any // nil: admitted
	}{
		"human without actor":     {principal: &authn.Principal{User: authn.User{Name: "alice"}}},
		"key with allowed value":  {principal: key(map[string]string{role: "viewer"})},
		"key with other allowed":  {principal: key(map[string]string{role: "editor", "team": "a"})},
		"key without attributes":  {principal: key(nil), wantProblem: missing},
		"key without the key":     {principal: key(map[string]string{"team": "a"}), wantProblem: missing},
		"key with value not in":   {principal: key(map[string]string{role: "admin"}), wantProblem: notAllowed},
		"key with empty value":    {principal: key(map[string]string{role: ""}), wantProblem: notAllowed},
		"value compared exactly":  {principal: key(map[string]string{role: "Viewer"}), wantProblem: notAllowed},
		"synthetic user with key": {principal: func() *authn.Principal { p := key(map[string]string{role: "admin"}); p.Synthetic = true; return p }(), wantProblem: notAllowed},
	}
	mw := chiadapter.RequireActorAttribute(role, "viewer", "editor")
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			rec, called := serveAs(mw, tt.principal)
			if tt.wantProblem == nil {
				if !called || rec.Code != http.StatusOK {
					t.Fatalf("status %d, next called %v; want it admitted", rec.Code, called)
				}
				return
			}
			if called {
				t.Error("next handler was called")
			}
			checkProblem(t, rec, http.StatusForbidden, problemHeaders(nil), tt.wantProblem)
		})
	}
	rec, _ := serveAs(mw, nil)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("no principal: status %d, want 401", rec.Code)
	}
}

// The attribute key is in the error's Detail (logs, trace), not the body.
func TestRequireActorAttributeDetail(t *testing.T) {
	var got error
	write := func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(http.StatusForbidden)
	}
	chain := newChain(t, decide("key", authn.Contribute(authn.Principal{
		User: authn.User{Name: "bob"}, Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "key-1"},
	}, "key")))
	h := chiadapter.Authenticate(chain, chiadapter.WithErrorWriter(write))(
		chiadapter.RequireActorAttribute("ambient-code.io/role", "viewer")(http.NotFoundHandler()))
	h.ServeHTTP(httptest.NewRecorder(), newRequest(""))
	var ae *authn.Error
	if !errors.As(got, &ae) || !errors.Is(got, authn.ErrForbidden) || ae.Detail != "attribute ambient-code.io/role" {
		t.Errorf("error %#v, want an ErrForbidden whose Detail names the attribute", got)
	}
}

// The allowed values are copied at construction.
func TestRequireActorAttributeCopiesValues(t *testing.T) {
	allowed := []string{"viewer"}
	mw := chiadapter.RequireActorAttribute("role", allowed...)
	allowed[0] = "admin"
	p := &authn.Principal{User: authn.User{Name: "bob"}, Actor: &authn.ServiceAccount{Name: "k", Namespace: "n", Attributes: map[string]string{"role": "admin"}}}
	if rec, _ := serveAs(mw, p); rec.Code != http.StatusForbidden {
		t.Errorf("status %d, want 403", rec.Code)
	}
}

func TestRequireCustomPanicsOnProgrammingErrors(t *testing.T) {
	ok := func(authn.Principal) error { return nil }
	for name, build := range map[string]func(){
		"empty name":        func() { chiadapter.Require("", ok) },
		"nil check":         func() { chiadapter.Require("x", nil) },
		"nil next":          func() { chiadapter.Require("x", ok)(nil) },
		"empty key":         func() { chiadapter.RequireActorAttribute("", "viewer") },
		"no allowed values": func() { chiadapter.RequireActorAttribute("role") },
		"empty value":       func() { chiadapter.RequireActorAttribute("role", "viewer", "") },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			build()
		})
	}
}

// BenchmarkRequireActorAttribute measures an admitted key. Measured: 0
// allocs/op.
func BenchmarkRequireActorAttribute(b *testing.B) {
	h := chiadapter.RequireActorAttribute("role", "viewer", "editor")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r = r.WithContext(authn.NewContext(r.Context(), authn.Principal{
		User: authn.User{Name: "bob"}, Actor: &authn.ServiceAccount{Namespace: "n", Name: "k", Attributes: map[string]string{"role": "editor"}},
	}))
	rec := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(rec, r)
	}
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d", rec.Code)
	}
}
