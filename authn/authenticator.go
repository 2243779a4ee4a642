package authn

import "net/http"

// Authenticator answers who a request acts for. *Chain is the one this
// package builds; wrap it (for metrics or tracing), choose a chain per
// route, or replace it, and hand the result to the HTTP middleware.
//
// The contract every implementation keeps, as Chain does:
//   - the error, when not nil, is an *Error whose Kind is ErrUnauthenticated,
//     ErrRejected or ErrUnavailable (ErrForbidden if a wrapper applies a
//     policy); StatusCode maps any other error to 500;
//   - on error the Principal is the zero value; on success it has a User;
//   - the identity headers are stripped from r itself, on every outcome, so
//     whatever runs after Authenticate, an observer included, sees the
//     stripped request. A wrapper that does not call a Chain must strip
//     them itself (see DefaultIdentityHeaders and HeaderSet.Strip).
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, Trace, error)
}

// AuthenticatorFunc adapts a function to an Authenticator. The function
// keeps the Authenticator contract.
type AuthenticatorFunc func(r *http.Request) (Principal, Trace, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (Principal, Trace, error) { return f(r) }

var _ Authenticator = (*Chain)(nil)
