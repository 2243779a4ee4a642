// Package tokenbind holds the subject-binding rule of bearer.Bind, for the
// token strategies of this module, and the per-request copy of a cached
// verdict that lets them hand a request its identity in one allocation.
// bearer.Bind copies the ServiceAccount it is given, since a custom
// strategy may pass a cached one; the strategies here pass PerRequest's
// copies and skip that allocation.
package tokenbind

import (
	"slices"

	"github.com/authchain/authchain/authn"
)

// Bind is bearer.Bind, except that sa, when not nil, becomes the Actor
// itself: it must be memory no other request holds, such as PerRequest's
// copy. See bearer.Bind for the rule.
func Bind(sofar authn.Principal, sa *authn.ServiceAccount, user authn.User, cred *authn.Credential, reason string) authn.Decision {
	if sa == nil {
		switch {
		case sofar.Actor != nil:
			return authn.Reject("token user does not match the ServiceAccount already established")
		case !sofar.User.IsZero() && sofar.User.Name != user.Name:
			return authn.Reject("token user does not match the forwarded user")
		}
		if err := authn.CheckUserName(user.Name); err != nil {
			return authn.Reject("token user name " + err.Error())
		}
		p := sofar
		p.User, p.Credential = user, cred
		return authn.Contribute(p, reason)
	}
	switch {
	case sofar.Actor != nil:
		if sofar.Actor.Namespace != sa.Namespace || sofar.Actor.Name != sa.Name ||
			sofar.Actor.UID != "" && sofar.Actor.UID != sa.UID {
			return authn.Reject("token ServiceAccount does not match the ServiceAccount already established")
		}
		sa.Attributes = sofar.Actor.Attributes
		if !sofar.User.IsZero() {
			// Someone already resolved the human; keep it.
			p := sofar
			p.Actor, p.Credential = sa, cred
			return authn.Contribute(p, reason)
		}
	case !sofar.User.IsZero():
		forwarded, err := authn.ParseServiceAccountSubject(sofar.User.Name)
		if err != nil {
			return authn.Reject("forwarded user does not match the token's ServiceAccount")
		}
		if forwarded.Namespace != sa.Namespace || forwarded.Name != sa.Name {
			return authn.Reject("forwarded ServiceAccount does not match the token's ServiceAccount")
		}
	}
	p := sofar
	p.User, p.Actor, p.Credential = authn.User{}, sa, cred
	return authn.Contribute(p, reason)
}

// perRequest is what PerRequest allocates: the Actor, the Credential and
// what a Credential usually points to, so that a cached hit costs one
// allocation rather than one per piece (BenchmarkTokenReviewCachedHit).
type perRequest struct {
	actor     authn.ServiceAccount
	cred      authn.Credential
	audiences [1]string
	pod, node authn.BoundObject
}

// credentialOnly is perRequest for a Credential with no ServiceAccount,
// pod or node (an ID token's): smaller, so a request pays for no more.
type credentialOnly struct {
	cred      authn.Credential
	audiences [1]string
}

// PerRequest returns deep copies of sa (nil when sa is nil) and cred, as
// Credential.Clone makes, that share nothing with them: in one allocation
// when the Credential has at most one audience and no Bindings. The
// ServiceAccount's Attributes map is shared, as bearer.Bind shares it.
func PerRequest(sa *authn.ServiceAccount, cred *authn.Credential) (*authn.ServiceAccount, *authn.Credential) {
	if sa == nil && cred.Pod == nil && cred.Node == nil {
		b := &credentialOnly{cred: *cred}
		finish(&b.cred, b.audiences[:])
		return nil, &b.cred
	}
	b := &perRequest{cred: *cred}
	finish(&b.cred, b.audiences[:])
	if cred.Pod != nil {
		b.pod = *cred.Pod
		b.cred.Pod = &b.pod
	}
	if cred.Node != nil {
		b.node = *cred.Node
		b.cred.Node = &b.node
	}
	if sa == nil {
		return nil, &b.cred
	}
	b.actor = *sa
	return &b.actor, &b.cred
}

// finish gives c, a shallow copy, its own audiences (in room, when they
// fit) and Bindings.
func finish(c *authn.Credential, room []string) {
	if len(c.Audiences) <= len(room) && c.Audiences != nil {
		n := copy(room, c.Audiences)
		c.Audiences = room[:n:n]
	} else {
		c.Audiences = slices.Clone(c.Audiences)
	}
	if c.Bindings != nil {
		// Rare (only with bound kinds accepted): Clone's deep copy.
		c.Bindings = authn.Credential{Bindings: c.Bindings}.Clone().Bindings
	}
}
