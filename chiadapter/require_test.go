package chiadapter_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

func TestRequire(t *testing.T) {
	key := &authn.ServiceAccount{Namespace: "team-a", Name: "key-1"}
	principals := map[string]*authn.Principal{
		"none":      nil,
		"zero user": {},
		"human":     {User: authn.User{Name: "alice", Groups: []string{"dev", "staff"}}, Via: []string{"forwarded"}},
		// A key acting for its creator is a human with an actor.
		"human via key": {User: authn.User{Name: "bob", Groups: []string{"admins"}}, Actor: key, Via: []string{"serviceaccount", "annotation"}},
		"synthetic":     {User: authn.User{Name: "sa:team-a:key-1", Groups: []string{"admins"}}, Actor: key, Synthetic: true},
	}
	middlewares := map[string]func() func(http.Handler) http.Handler{
		"user":         chiadapter.RequireUser,
		"human":        chiadapter.RequireHuman,
		"group admins": func() func(http.Handler) http.Handler { return chiadapter.RequireGroup("admins") },
		"group any":    func() func(http.Handler) http.Handler { return chiadapter.RequireGroup("admins", "staff") },
	}
	unauthenticated := func(strategy string) map[string]any {
		return map[string]any{
			"type": chiadapter.ProblemTypeUnauthenticated, "title": "Unauthorized", "status": 401.0,
			"detail": "authentication is required", "strategy": strategy,
		}
	}
	forbidden := func(strategy, detail string) map[string]any {
		return map[string]any{
			"type": chiadapter.ProblemTypeForbidden, "title": "Forbidden", "status": 403.0,
			"detail": detail, "strategy": strategy,
		}
	}
	notInGroup := forbidden("require-group", "user is not in a required group")
	tests := []struct {
		middleware, principal string
		wantProblem           map[string]any // nil: admitted
	}{
		{"user", "none", unauthenticated("require-user")},
		{"user", "zero user", unauthenticated("require-user")},
		{"user", "human", nil},
		{"user", "human via key", nil},
		{"user", "synthetic", nil},

		{"human", "none", unauthenticated("require-human")},
		{"human", "zero user", unauthenticated("require-human")},
		{"human", "human", nil},
		{"human", "human via key", nil},
		{"human", "synthetic", forbidden("require-human", "a human user is required")},

		{"group admins", "none", unauthenticated("require-group")},
		{"group admins", "zero user", unauthenticated("require-group")},
		{"group admins", "human", notInGroup},
		{"group admins", "human via key", nil},
		{"group admins", "synthetic", nil},

		{"group any", "none", unauthenticated("require-group")},
		{"group any", "human", nil},
		{"group any", "human via key", nil},
	}
	for _, tt := range tests {
		t.Run(tt.middleware+"/"+tt.principal, func(t *testing.T) {
			var seen *authn.Principal
			h := middlewares[tt.middleware]()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, _ := authn.FromContext(r.Context())
				seen = &p
			}))
			r := newRequest("")
			if p := principals[tt.principal]; p != nil {
				r = r.WithContext(authn.NewContext(r.Context(), *p))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)

			if tt.wantProblem == nil {
				if rec.Code != http.StatusOK || seen == nil {
					t.Fatalf("status %d, next called: %v; want it admitted", rec.Code, seen != nil)
				}
				if diff := cmp.Diff(*principals[tt.principal], *seen); diff != "" {
					t.Errorf("principal seen by next (-want +got):\n%s", diff)
				}
				return
			}
			if seen != nil {
				t.Error("next handler was called")
			}
			status := int(tt.wantProblem["status"].(float64))
			if rec.Code != status {
				t.Errorf("status %d, want %d", rec.Code, status)
			}
			var extra map[string]string
			if status == http.StatusUnauthorized {
				extra = map[string]string{"Www-Authenticate": `Bearer realm="authchain"`}
			}
			if diff := cmp.Diff(problemHeaders(extra), errorHeaders(rec.Header())); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantProblem, decodeProblem(t, rec)); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
		})
	}
}

// Behind Authenticate, a denial is written with Authenticate's error writer.
func TestRequireUsesAuthenticateOptions(t *testing.T) {
	synthetic := authn.StrategyFunc("synthetic", func(*http.Request, authn.Principal) authn.Decision {
		return authn.Contribute(authn.Principal{User: authn.User{Name: "system-serviceaccount-team-a-key-1"}, Synthetic: true}, "no human found")
	})
	var gotErr error
	write := func(w http.ResponseWriter, r *http.Request, err error) {
		gotErr = err
		w.WriteHeader(http.StatusTeapot)
	}
	r := chi.NewRouter()
	r.Use(chiadapter.Authenticate(newChain(t, synthetic), chiadapter.WithErrorWriter(write)))
	r.With(chiadapter.RequireHuman()).Get("/me", whoAmI)
	r.With(chiadapter.RequireUser()).Get("/any", whoAmI)

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/me", nil))
	var ae *authn.Error
	if rec.Code != http.StatusTeapot || !errors.As(gotErr, &ae) || !errors.Is(gotErr, authn.ErrForbidden) || ae.Strategy != "require-human" {
		t.Errorf("got status %d and error %v; want the custom writer given a require-human ErrForbidden", rec.Code, gotErr)
	}

	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/any", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "system-serviceaccount-team-a-key-1 via synthetic" {
		t.Errorf("RequireUser on a synthetic user: %d %q, want 200", rec.Code, rec.Body.String())
	}
}

// The policy is copied at construction; a caller reusing its slice cannot
// change it afterwards.
func TestRequireGroupCopiesGroups(t *testing.T) {
	groups := []string{"admins"}
	mw := chiadapter.RequireGroup(groups...)
	groups[0] = "dev"
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r = r.WithContext(authn.NewContext(r.Context(), authn.Principal{User: authn.User{Name: "alice", Groups: []string{"dev"}}}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusForbidden {
		t.Errorf("status %d, want 403", rec.Code)
	}
}

func TestRequirePanicsOnProgrammingErrors(t *testing.T) {
	for name, build := range map[string]func(){
		"no groups":        func() { chiadapter.RequireGroup() },
		"empty group":      func() { chiadapter.RequireGroup("admins", "") },
		"nil next (user)":  func() { chiadapter.RequireUser()(nil) },
		"nil next (group)": func() { chiadapter.RequireGroup("admins")(nil) },
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

// BenchmarkRequireGroup measures an admitted request: a user in three groups
// checked against two. Measured: 0 allocs/op.
func BenchmarkRequireGroup(b *testing.B) {
	h := chiadapter.RequireGroup("admins", "ops")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r = r.WithContext(authn.NewContext(r.Context(), authn.Principal{User: authn.User{Name: "alice", Groups: []string{"dev", "staff", "ops"}}}))
	rec := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(rec, r)
	}
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d", rec.Code)
	}
}
