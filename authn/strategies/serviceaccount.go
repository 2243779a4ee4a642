package strategies

import (
	"net/http"

	"github.com/authchain/authchain/authn"
)

// ServiceAccountStrategy moves a forwarded ServiceAccount username out of
// Principal.User and into Principal.Actor. Build it with ServiceAccount.
type ServiceAccountStrategy struct{}

// ServiceAccount returns the strategy named "serviceaccount".
//
// When no Actor is set and the user name starts with
// system:serviceaccount:, it parses the name with
// authn.ParseServiceAccountSubject. A well-formed subject becomes the Actor
// and the User is cleared entirely, so the key never passes as a human; a
// later strategy must establish the effective user. A malformed subject is
// rejected, never treated as a human name. Anything else is not its
// business.
func ServiceAccount() *ServiceAccountStrategy { return &ServiceAccountStrategy{} }

// Name returns "serviceaccount".
func (*ServiceAccountStrategy) Name() string { return "serviceaccount" }

// Authenticate implements authn.Strategy; see ServiceAccount.
func (*ServiceAccountStrategy) Authenticate(_ *http.Request, sofar authn.Principal) authn.Decision {
	if sofar.Actor != nil || !authn.IsServiceAccountSubject(sofar.User.Name) {
		return authn.Skip("not a ServiceAccount subject")
	}
	sa, err := authn.ParseServiceAccountSubject(sofar.User.Name)
	if err != nil {
		// The parser's errors are constants that never echo the name.
		return authn.Reject(err.Error())
	}
	actor := sa // escapes here only, so a rejection does not allocate
	p := sofar  // refine: the subject leaves User for Actor, the rest stays
	p.User, p.Actor = authn.User{}, &actor
	return authn.Contribute(p, "ServiceAccount subject")
}
