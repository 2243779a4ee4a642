package chiadapter_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

// countingAuthenticator wraps another Authenticator and counts outcomes, as
// a metrics wrapper would.
type countingAuthenticator struct {
	next              authn.Authenticator
	admitted, refused atomic.Int64
}

func (c *countingAuthenticator) Authenticate(r *http.Request) (authn.Principal, authn.Trace, error) {
	p, trace, err := c.next.Authenticate(r)
	if err != nil {
		c.refused.Add(1)
	} else {
		c.admitted.Add(1)
	}
	return p, trace, err
}

// A chain wrapped in another Authenticator mounts like the chain itself:
// the wrapper sees every request, the handler the chain's Principal, and
// the observer the request the chain stripped.
func TestAuthenticateWrappedChain(t *testing.T) {
	counting := &countingAuthenticator{next: newChain(t, forwardedUser())}
	var observed []string // X-Forwarded-User as the observer saw it
	var seen authn.Principal
	h := chiadapter.Authenticate(counting, chiadapter.WithObserver(func(r *http.Request, _ authn.Principal, _ authn.Trace, _ error) {
		observed = append(observed, r.Header.Get("X-Forwarded-User"))
	}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = authn.FromContext(r.Context())
	}))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, newRequest("alice"))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	want := authn.Principal{User: authn.User{Name: "alice"}, Via: []string{"forwarded-user"}}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("Principal (-want +got):\n%s", diff)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, newRequest(""))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("no user: status %d, want 401", rec.Code)
	}
	if a, r := counting.admitted.Load(), counting.refused.Load(); a != 1 || r != 1 {
		t.Errorf("wrapper counted %d admitted, %d refused; want 1 and 1", a, r)
	}
	if diff := cmp.Diff([]string{"", ""}, observed); diff != "" {
		t.Errorf("X-Forwarded-User seen by the observer (-want +got):\n%s", diff)
	}
}

// An Authenticator that breaks the contract fails closed: success without a
// user is a 401, and a Principal returned with an error reaches neither the
// observer nor the handler.
func TestAuthenticateEnforcesContract(t *testing.T) {
	tests := map[string]struct {
		p          authn.Principal
		err        error
		wantStatus int
	}{
		"success without user": {wantStatus: http.StatusUnauthorized},
		"principal with error": {
			p:          authn.Principal{User: authn.User{Name: "mallory"}},
			err:        &authn.Error{Strategy: "custom", Kind: authn.ErrRejected, Reason: "bad credential"},
			wantStatus: http.StatusUnauthorized,
		},
		"plain error": {p: authn.Principal{User: authn.User{Name: "mallory"}}, err: errors.New("boom"), wantStatus: http.StatusInternalServerError},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a := authn.AuthenticatorFunc(func(*http.Request) (authn.Principal, authn.Trace, error) { return tt.p, nil, tt.err })
			var observedP authn.Principal
			var observedErr error
			called := false
			h := chiadapter.Authenticate(a, chiadapter.WithObserver(func(_ *http.Request, p authn.Principal, _ authn.Trace, err error) {
				observedP, observedErr = p, err
			}))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, newRequest(""))
			if called || rec.Code != tt.wantStatus {
				t.Errorf("status %d, next called %v; want %d and not called", rec.Code, called, tt.wantStatus)
			}
			if diff := cmp.Diff(authn.Principal{}, observedP); diff != "" {
				t.Errorf("observer's Principal (-want zero +got):\n%s", diff)
			}
			if observedErr == nil {
				t.Error("observer got no error")
			}
		})
	}
}
