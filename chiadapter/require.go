package chiadapter

import (
	"net/http"

	"github.com/authchain/authchain/authn"
)

// RequireUser returns a middleware that admits any authenticated principal,
// synthetic users included. A request with no principal in its context, or
// one with a zero User, gets a 401 (authn.ErrUnauthenticated) naming the
// strategy "require-user". Like every Require*, it answers with the error
// writer and headers of the Authenticate in front of it, or WriteProblem.
func RequireUser() func(http.Handler) http.Handler {
	return require("require-user", func(authn.Principal) string { return "" })
}

// RequireHuman returns a middleware that admits only a resolved, non-synthetic
// user (authn.Principal.IsHuman): a request acting through a ServiceAccount
// for a human passes, a synthetic stand-in for a ServiceAccount gets a 403
// (authn.ErrForbidden). No principal is a 401 as for RequireUser. Errors name
// the strategy "require-human".
func RequireHuman() func(http.Handler) http.Handler {
	return require("require-human", func(p authn.Principal) string {
		if p.IsHuman() {
			return ""
		}
		return "a human user is required"
	})
}

// RequireGroup returns a middleware that admits a user in at least one of
// groups (authn.User.Groups, compared exactly). It checks the effective user
// whether synthetic or not; put RequireHuman in front to exclude synthetic
// users. A user in none of them gets a 403 (authn.ErrForbidden); no principal
// is a 401 as for RequireUser. Errors name the strategy "require-group" and
// never list the groups.
//
// RequireGroup panics if groups is empty or holds an empty name: a policy
// that can admit no one is a programming error, better found when the router
// is built than as a 403 for everybody.
func RequireGroup(groups ...string) func(http.Handler) http.Handler {
	if len(groups) == 0 {
		panic("chiadapter: RequireGroup needs at least one group")
	}
	for _, g := range groups {
		if g == "" {
			panic("chiadapter: RequireGroup: empty group name")
		}
	}
	// Copied so that a caller reusing its slice cannot change the policy.
	required := append([]string(nil), groups...)
	return require("require-group", func(p authn.Principal) string {
		// Both lists are short; a nested scan beats building a set per request.
		for _, have := range p.User.Groups {
			for _, want := range required {
				if have == want {
					return ""
				}
			}
		}
		return "user is not in a required group"
	})
}

// require builds a middleware admitting a request whose principal has a user
// and for which deny returns "" (otherwise the reason for a 403).
func require(strategy string, deny func(authn.Principal) string) func(http.Handler) http.Handler {
	fallback := newConfig(nil)
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("chiadapter: " + strategy + ": next handler is nil")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := authn.FromContext(r.Context())
			if !ok || p.User.IsZero() {
				configFrom(r.Context(), fallback).fail(w, r, &authn.Error{
					Strategy: strategy, Kind: authn.ErrUnauthenticated, Reason: "authentication is required",
				})
				return
			}
			if reason := deny(p); reason != "" {
				configFrom(r.Context(), fallback).fail(w, r, &authn.Error{
					Strategy: strategy, Kind: authn.ErrForbidden, Reason: reason,
				})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
