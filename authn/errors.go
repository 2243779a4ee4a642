package authn

import (
	"errors"
	"net/http"
)

// The kinds of authentication failure. Every error the chain returns wraps
// exactly one of them; StatusCode maps them to HTTP.
var (
	// ErrUnauthenticated: no strategy established an effective user (401).
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrRejected: a credential or identity header was presented and is
	// invalid or untrusted (401). The chain never falls through to a weaker
	// strategy after a rejection.
	ErrRejected = errors.New("rejected")
	// ErrForbidden: the principal is known but a policy denies the request
	// (403). Strategies do not return it; authorization middleware does.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable: a dependency such as the API server or an informer
	// cache cannot answer (503). The chain fails closed.
	ErrUnavailable = errors.New("unavailable")
)

// Error describes why a request was not authenticated. Its message names
// the strategy and the reason and never carries a token or a header value.
type Error struct {
	// Strategy is the name of the strategy that stopped the chain, or
	// "chain" when the chain itself found no identity.
	Strategy string
	// Kind is one of ErrUnauthenticated, ErrRejected, ErrForbidden or
	// ErrUnavailable.
	Kind error
	// Reason is a short, secret-free explanation fit for a response body.
	Reason string
	// Detail adds what the response must not show (policy details); it is
	// part of Error() and so of logs.
	Detail string
	// Cause is the underlying error, if any. It is logged, never shown to
	// the client.
	Cause error
}

func (e *Error) Error() string {
	if e == nil {
		// A nil *Error held in an error: a caller's mistake, still printable.
		return "authn: <nil *authn.Error>"
	}
	msg := "authn: " + e.Strategy + ": " + e.Kind.Error() + ": " + e.Reason
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap lets errors.Is match both the kind and the cause.
func (e *Error) Unwrap() []error {
	switch {
	case e == nil:
		// errors.Is and errors.As walk a nil *Error held in an error; it
		// wraps nothing, so StatusCode answers 500 rather than panicking.
		return nil
	case e.Cause == nil:
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// StatusCode returns the HTTP status for an authentication error: 401 for
// ErrUnauthenticated and ErrRejected, 403 for ErrForbidden, 503 for
// ErrUnavailable and 500 for anything else. An error that wraps several
// kinds is answered by the first of KindOf's order.
func StatusCode(err error) int {
	switch KindOf(err) {
	case ErrUnavailable:
		return http.StatusServiceUnavailable
	case ErrForbidden:
		return http.StatusForbidden
	case ErrRejected, ErrUnauthenticated:
		return http.StatusUnauthorized
	default:
		return http.StatusInternalServerError
	}
}

// kindOrder is the precedence of KindOf: a failure to decide outranks a
// denial, a denial a refused credential, and that a missing one.
var kindOrder = [...]error{ErrUnavailable, ErrForbidden, ErrRejected, ErrUnauthenticated}

// KindOf returns the kind err wraps, as errors.Is finds it: the first of
// ErrUnavailable, ErrForbidden, ErrRejected and ErrUnauthenticated that err
// matches, or nil if it matches none.
func KindOf(err error) error {
	// The chain's own errors are answered without errors.Is, whose walk
	// through Unwrap allocates a slice at every step; a refused request is
	// asked its kind three or four times (BenchmarkAuthenticateRejected in
	// chiadapter). With no Cause, an *Error matches its Kind and nothing
	// else, so the answer is the same.
	if e, ok := err.(*Error); ok && e != nil && e.Cause == nil {
		for _, k := range kindOrder {
			if e.Kind == k {
				return k
			}
		}
	}
	for _, k := range kindOrder {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}
