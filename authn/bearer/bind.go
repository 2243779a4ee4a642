package bearer

import (
	"net/http"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/tokenbind"
)

// Presented is how every token strategy starts: a credential already
// verified by an earlier strategy leaves nothing to do (Skip), a malformed
// token, or two different ones, is rejected, and no token is not
// applicable (Skip). ok reports that token is there to verify; otherwise d
// is the decision to return. Neither reason quotes the token.
func (s Source) Presented(r *http.Request, sofar authn.Principal) (token string, d authn.Decision, ok bool) {
	return s.presented(r, sofar, true)
}

// PresentedForCache is Presented for a strategy that hands the token to
// Cache.Get and to nothing else before Get has answered: the token68
// syntax of an Authorization token is left to Get, which checks it on a
// miss and refuses a malformed token with the reason Presented gives, so a
// token whose verdict is cached is not scanned on every request. Empty and
// over-long tokens, repeated headers and the forwarded token are checked
// as by Presented.
func (s Source) PresentedForCache(r *http.Request, sofar authn.Principal) (token string, d authn.Decision, ok bool) {
	return s.presented(r, sofar, false)
}

func (s Source) presented(r *http.Request, sofar authn.Principal, syntax bool) (token string, d authn.Decision, ok bool) {
	if sofar.Credential != nil {
		return "", authn.Skip("credential already verified"), false
	}
	token, reason := s.token(r, syntax)
	switch {
	case reason != "":
		return "", authn.Reject(reason), false
	case token == "":
		return "", authn.Skip("no bearer token"), false
	}
	return token, authn.Decision{}, true
}

// Bind joins the identity a verified token proves to the Principal
// established so far, by the subject-binding rule every token strategy of
// this module follows; a token strategy returns its decision:
//
//   - a token for a ServiceAccount, after a forwarded
//     system:serviceaccount:NS:NAME header, must name the same namespace and
//     name, and then becomes the Actor (with its uid) and clears User;
//   - after a forwarded human user, a ServiceAccount token is a conflict;
//   - a token for a user that is not a ServiceAccount (a TokenReview may
//     return one) must name the same user as a forwarded header, if any,
//     and that name must pass authn.CheckUserName;
//   - an Actor set earlier must be the same ServiceAccount, uid included.
//
// Any disagreement is a rejection: two proofs that disagree prove nothing.
// sa is nil when the token is not a ServiceAccount's; user is then the
// token's user. cred describes the token (never the token itself) and
// becomes Principal.Credential; reason is the contribution's reason. Bind
// keeps user and cred in the result, and a shallow copy of sa (its
// Attributes map shared): pass copies of cached users and credentials.
func Bind(sofar authn.Principal, sa *authn.ServiceAccount, user authn.User, cred *authn.Credential, reason string) authn.Decision {
	if sa != nil {
		// A copy: sa may be a cached value, and the Actor may be given
		// Attributes.
		actor := *sa
		sa = &actor
	}
	return tokenbind.Bind(sofar, sa, user, cred, reason)
}
