package chiadapter

import (
	"errors"
	"net/http"

	"github.com/authchain/authchain/authn"
)

// Require returns a middleware that admits a request whose principal has a
// user and passes check; it is the building block of every Require…
// middleware here, and answers as they do: with the error writer and headers
// of the Authenticate in front of it, or WriteProblem.
//
// A request with no principal in its context, or one with a zero User, gets
// a 401 (authn.ErrUnauthenticated, reason "authentication is required")
// without calling check. When check returns an error the request is refused:
//   - an *authn.Error is answered as it is (a copy), its Strategy defaulting
//     to name and its Kind to authn.ErrForbidden; put what the client must
//     not read, such as the policy, in its Detail;
//   - any other error is a 403 (authn.ErrForbidden) whose Reason, and so the
//     response body, is the error's message: name the check that failed, not
//     a token or a header value.
//
// Errors name the strategy name. Require panics if name is empty or check is
// nil, and the middleware panics if next is nil.
func Require(name string, check func(authn.Principal) error) func(http.Handler) http.Handler {
	if name == "" {
		panic("chiadapter: Require needs a name")
	}
	if check == nil {
		panic("chiadapter: Require " + name + ": check is nil")
	}
	fallback := newConfig(nil)
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("chiadapter: " + name + ": next handler is nil")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := authn.FromContext(r.Context())
			if !ok || p.User.IsZero() {
				configFrom(r.Context(), fallback).fail(w, r, &authn.Error{
					Strategy: name, Kind: authn.ErrUnauthenticated, Reason: "authentication is required",
				})
				return
			}
			if err := check(p); err != nil {
				configFrom(r.Context(), fallback).fail(w, r, denial(name, err))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// denial turns the error of a Require check into the *authn.Error answered.
func denial(name string, err error) *authn.Error {
	var ae *authn.Error
	switch {
	case !errors.As(err, &ae):
		return &authn.Error{Strategy: name, Kind: authn.ErrForbidden, Reason: err.Error()}
	case ae == nil:
		// A nil *authn.Error in a non-nil error still refuses.
		return &authn.Error{Strategy: name, Kind: authn.ErrForbidden, Reason: "denied"}
	}
	out := *ae // a check may return a shared value; never modify it
	if out.Strategy == "" {
		out.Strategy = name
	}
	if out.Kind == nil {
		out.Kind = authn.ErrForbidden
	}
	return &out
}

// RequireUser returns a middleware that admits any authenticated principal,
// synthetic users included. A request with no principal in its context, or
// one with a zero User, gets a 401 (authn.ErrUnauthenticated) naming the
// strategy "require-user". Like every Require…, it answers with the error
// writer and headers of the Authenticate in front of it, or WriteProblem.
func RequireUser() func(http.Handler) http.Handler {
	return Require("require-user", func(authn.Principal) error { return nil })
}

// RequireHuman returns a middleware that admits only a resolved, non-synthetic
// user (authn.Principal.IsHuman): a request acting through a ServiceAccount
// for a human passes, a synthetic stand-in for a ServiceAccount gets a 403
// (authn.ErrForbidden). No principal is a 401 as for RequireUser. Errors name
// the strategy "require-human".
func RequireHuman() func(http.Handler) http.Handler {
	notHuman := errors.New("a human user is required")
	return Require("require-human", func(p authn.Principal) error {
		if p.IsHuman() {
			return nil
		}
		return notHuman
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
	notInGroup := errors.New("user is not in a required group")
	return Require("require-group", func(p authn.Principal) error {
		// Both lists are short; a nested scan beats building a set per request.
		for _, have := range p.User.Groups {
			for _, want := range required {
				if have == want {
					return nil
				}
			}
		}
		return notInGroup
	})
}

// RequireActorAttribute returns a middleware for role caps on access keys:
// a request made through a ServiceAccount (Principal.Actor not nil) passes
// only if the Actor's Attributes hold key with one of the allowed values,
// compared exactly. An Actor without the attribute, or with another value,
// gets a 403 (authn.ErrForbidden): an absent cap means least privilege, not
// none. The reason names neither the key nor the values; the Detail (trace
// and logs) names the key.
//
// A human calling directly (nil Actor) passes: the cap limits what a key
// may do, not what its creator may. To admit only keys, put in front
//
//	Require("require-key", func(p authn.Principal) error {
//		if p.Actor == nil {
//			return errors.New("an access key is required")
//		}
//		return nil
//	})
//
// The Actor's Attributes hold only what the chain was configured to copy
// (the annotation strategy's attribute keys); a key not copied is absent,
// and so refused. No principal is a 401 as for RequireUser. Errors name the
// strategy "require-actor-attribute".
//
// RequireActorAttribute panics if allowed is empty, or if key or an allowed
// value is one no attribute can hold (empty, or failing authn.CheckName:
// surrounding space, control or invisible characters): a cap that admits
// no key is a programming error.
func RequireActorAttribute(key string, allowed ...string) func(http.Handler) http.Handler {
	if key == "" {
		panic("chiadapter: RequireActorAttribute needs a key")
	}
	if err := authn.CheckName(key); err != nil {
		panic("chiadapter: RequireActorAttribute: key " + err.Error())
	}
	if len(allowed) == 0 {
		panic("chiadapter: RequireActorAttribute needs at least one allowed value")
	}
	for _, v := range allowed {
		if v == "" {
			panic("chiadapter: RequireActorAttribute: empty allowed value")
		}
		if err := authn.CheckName(v); err != nil {
			panic("chiadapter: RequireActorAttribute: allowed value " + err.Error())
		}
	}
	values := append([]string(nil), allowed...)
	detail := "attribute " + key
	missing := &authn.Error{Kind: authn.ErrForbidden, Reason: "access key lacks a required attribute", Detail: detail}
	notAllowed := &authn.Error{Kind: authn.ErrForbidden, Reason: "access key attribute has a value that is not allowed", Detail: detail}
	return Require("require-actor-attribute", func(p authn.Principal) error {
		if p.Actor == nil {
			return nil
		}
		have, ok := p.Actor.Attributes[key]
		if !ok {
			return missing
		}
		for _, want := range values {
			if have == want {
				return nil
			}
		}
		return notAllowed
	})
}
