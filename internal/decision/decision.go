// Package decision sums up one run of an authn.Authenticator the same way
// for logs, traces and audit events, so that the three never disagree on
// what a request's result was.
package decision

import (
	"errors"
	"net/http"

	"github.com/authchain/authchain/authn"
)

// The results a run can have. Each but Authenticated matches one kind of
// authn.Error; Broken is an error outside the Authenticator contract.
const (
	Authenticated   = "authenticated"
	Unauthenticated = "unauthenticated"
	Rejected        = "rejected"
	Forbidden       = "forbidden"
	Unavailable     = "unavailable"
	Broken          = "error"
)

// Summary is what a run decided. Every string in it comes from the
// Principal, the Trace or an authn.Error, which the authn contract keeps free
// of tokens and header values.
type Summary struct {
	// Result is one of the constants above.
	Result string
	// Status is the HTTP status the chi adapter answers with.
	Status int
	// Strategy is the strategy that ended the run: the one that refused,
	// "chain" or "authenticator", or on success the last one in Via.
	Strategy string
	// Reason and Detail are the refusal's, or on success the Reason of the
	// deciding strategy's trace entry.
	Reason, Detail string
	// Cause is a refusal's underlying error, for logs only.
	Cause error
}

// Failed reports whether the run refused the request.
func (s Summary) Failed() bool { return s.Result != Authenticated }

// Summarize sums up the result of Authenticate. A success without a user,
// which breaks the contract, is summed up as the chi adapter answers it: a
// 401 of strategy "authenticator".
func Summarize(p authn.Principal, t authn.Trace, err error) Summary {
	if err == nil {
		if p.User.IsZero() {
			return Summary{Result: Unauthenticated, Status: http.StatusUnauthorized, Strategy: "authenticator", Reason: "authenticator returned no user"}
		}
		s := Summary{Result: Authenticated, Status: http.StatusOK}
		if len(p.Via) > 0 {
			s.Strategy = p.Via[len(p.Via)-1]
		}
		for i := len(t) - 1; i >= 0; i-- {
			if t[i].Strategy == s.Strategy && t[i].Outcome == authn.Contributed {
				s.Reason = t[i].Reason
				break
			}
		}
		return s
	}
	s := Summary{Result: result(err), Status: authn.StatusCode(err)}
	var ae *authn.Error
	if errors.As(err, &ae) && ae != nil {
		s.Strategy, s.Reason, s.Detail, s.Cause = ae.Strategy, ae.Reason, ae.Detail, ae.Cause
		return s
	}
	s.Strategy, s.Reason, s.Cause = "authenticator", "authenticator returned an error that is not an authn.Error", err
	return s
}

func result(err error) string {
	switch {
	case errors.Is(err, authn.ErrUnavailable):
		return Unavailable
	case errors.Is(err, authn.ErrForbidden):
		return Forbidden
	case errors.Is(err, authn.ErrRejected):
		return Rejected
	case errors.Is(err, authn.ErrUnauthenticated):
		return Unauthenticated
	}
	return Broken
}
