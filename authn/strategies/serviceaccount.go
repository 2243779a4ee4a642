package strategies

import (
	"net/http"

	"github.com/authchain/authchain/authn"
)

// ServiceAccountStrategy turns a forwarded ServiceAccount username into
// Principal.Actor, or refuses it. Build it with ServiceAccount.
type ServiceAccountStrategy struct {
	believeSubjects bool
}

// ServiceAccountOption configures ServiceAccount. A nil option is ignored:
// it cannot weaken the strategy.
type ServiceAccountOption func(*ServiceAccountStrategy)

// InsecureBelieveForwardedSubjects makes ServiceAccount believe a
// forwarded system:serviceaccount:NS:NAME subject without a verified token
// for it, as if the header alone proved it. Then anything the proxy trusts
// that can produce that name acts for the key's creator: an identity
// provider that lets a human choose the login, a second cluster's issuer
// minting tokens for the same names, or an old token of a ServiceAccount
// deleted and re-created for someone else. Use it only behind a proxy
// that itself reviews the caller's token with this cluster's API server and
// trusts nothing else.
func InsecureBelieveForwardedSubjects() ServiceAccountOption {
	return func(s *ServiceAccountStrategy) { s.believeSubjects = true }
}

// Why a subject without proof is refused: Reason for the client, Detail
// for the trace.
const (
	reasonSubjectWithoutToken = "ServiceAccount subject without a verified token"
	detailSubjectWithoutToken = "a forwarded ServiceAccount subject is believed only with a verified bearer token " +
		"for the same ServiceAccount in the same request"
)

// ServiceAccount returns the strategy named "serviceaccount". It applies
// when no Actor is set and User.Name starts with system:serviceaccount:,
// which is then what a proxy forwarded and nothing has proven yet.
//
// Such a subject is refused (rejected, 401) by default: a name is not
// proof. A token strategy earlier in the chain (jwt.ServiceAccount,
// tokenreview.New) that verified a token for the same ServiceAccount has
// already made that ServiceAccount the Actor, with its uid, and cleared
// the User, so this strategy does not apply to a proven subject; a token
// for another ServiceAccount is rejected by the token strategy. The uid
// half of the proof, that the token's ServiceAccount is the object in the
// cluster now and not an earlier one of the same name, is checked by
// CreatorAnnotation, which must follow in the chain: it refuses an Actor
// whose uid differs from the cached object's, or whose object is gone. A
// chain without it compares names only.
//
// With InsecureBelieveForwardedSubjects the subject alone is believed: it
// becomes the Actor, without a uid, and the User is cleared entirely, so
// the key never passes as a human; a later strategy must establish the
// effective user.
//
// Either way the subject is parsed with authn.ParseServiceAccountSubject
// first, and a malformed one is rejected, never treated as a human name.
// Reasons never contain the subject. Anything else is not its business.
func ServiceAccount(opts ...ServiceAccountOption) *ServiceAccountStrategy {
	s := &ServiceAccountStrategy{}
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	return s
}

// Validate implements authn.Validator. It always returns nil: the zero
// ServiceAccountStrategy is the one ServiceAccount() builds, which refuses
// unproven subjects.
func (*ServiceAccountStrategy) Validate() error { return nil }

// Name returns "serviceaccount".
func (*ServiceAccountStrategy) Name() string { return "serviceaccount" }

// Authenticate implements authn.Strategy; see ServiceAccount.
func (s *ServiceAccountStrategy) Authenticate(_ *http.Request, sofar authn.Principal) authn.Decision {
	if sofar.Actor != nil || !authn.IsServiceAccountSubject(sofar.User.Name) {
		return authn.Skip("not a ServiceAccount subject")
	}
	sa, err := authn.ParseServiceAccountSubject(sofar.User.Name)
	if err != nil {
		// The parser's errors are constants that never echo the name.
		return authn.Reject(err.Error())
	}
	if !s.believeSubjects {
		return authn.Reject(reasonSubjectWithoutToken).WithDetail(detailSubjectWithoutToken)
	}
	actor := sa // escapes here only, so a rejection does not allocate
	p := sofar  // refine: the subject leaves User for Actor, the rest stays
	p.User, p.Actor = authn.User{}, &actor
	return authn.Contribute(p, "ServiceAccount subject")
}
