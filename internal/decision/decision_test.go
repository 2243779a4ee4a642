package decision

import (
	"errors"
	"fmt"
	"testing"

	"github.com/authchain/authchain/authn"
)

func TestSummarize(t *testing.T) {
	var nilErr *authn.Error
	alice := authn.Principal{User: authn.User{Name: "alice"}, Via: []string{"forwarded", "annotation"}}
	trace := authn.Trace{
		{Strategy: "forwarded", Outcome: authn.Contributed, Reason: "trusted proxy"},
		{Strategy: "annotation", Outcome: authn.Contributed, Reason: "creator annotation"},
		{Strategy: "synthetic", Outcome: authn.NotApplicable, Reason: "has a user"},
	}
	tests := []struct {
		name string
		p    authn.Principal
		err  error
		want Summary
	}{
		{"success", alice, nil, Summary{Result: Authenticated, Status: 200, Strategy: "annotation", Reason: "creator annotation"}},
		{"success without a user", authn.Principal{}, nil, Summary{Result: Unauthenticated, Status: 401, Strategy: "authenticator", Reason: "authenticator returned no user"}},
		{"rejected", authn.Principal{}, &authn.Error{Strategy: "jwt", Kind: authn.ErrRejected, Reason: "bad", Detail: "d"},
			Summary{Result: Rejected, Status: 401, Strategy: "jwt", Reason: "bad", Detail: "d"}},
		{"forbidden, wrapped", authn.Principal{}, fmt.Errorf("policy: %w", &authn.Error{Strategy: "require", Kind: authn.ErrForbidden, Reason: "no"}),
			Summary{Result: Forbidden, Status: 403, Strategy: "require", Reason: "no"}},
		{"unauthenticated", authn.Principal{}, &authn.Error{Strategy: "chain", Kind: authn.ErrUnauthenticated, Reason: "none"},
			Summary{Result: Unauthenticated, Status: 401, Strategy: "chain", Reason: "none"}},
	}
	for _, tt := range tests {
		if got := Summarize(tt.p, trace, tt.err); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	cause := errors.New("down")
	got := Summarize(authn.Principal{}, nil, &authn.Error{Strategy: "tokenreview", Kind: authn.ErrUnavailable, Reason: "api", Cause: cause})
	if got.Result != Unavailable || got.Status != 503 || got.Cause != cause || !got.Failed() {
		t.Errorf("unavailable: %+v", got)
	}
	for _, err := range []error{errors.New("boom"), nilErr, fmt.Errorf("x: %w", nilErr)} {
		got := Summarize(authn.Principal{}, nil, err)
		if got.Result != Broken || got.Status != 500 || got.Strategy != "authenticator" || got.Cause != err {
			t.Errorf("%v: %+v", err, got)
		}
	}
}
