// Package impersonate has the Kubernetes API server act as a request's
// effective user: a client-go rest.ImpersonationConfig for the
// Principal's User, with the acting ServiceAccount recorded in Extra so
// that audit and authorization on the API server see both identities.
//
// The client's own identity needs RBAC permission to impersonate: verb
// "impersonate" on users, groups and uids, and on the userextras
// ActorExtraKey and ActorUIDExtraKey (and on each extra key the users
// carry).
package impersonate

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/authn"
)

// Extra keys that record the acting ServiceAccount. Kubernetes shows them
// in the audit log under user.extra and hands them to authorization
// webhooks; they are namespaced so as not to meet a key of Kubernetes or
// an identity provider.
const (
	// ActorExtraKey holds system:serviceaccount:NAMESPACE:NAME.
	ActorExtraKey = "authchain.dev/actor"
	// ActorUIDExtraKey holds the ServiceAccount's uid, when known.
	ActorUIDExtraKey = "authchain.dev/actor-uid"
)

// Errors of Config. Their messages never quote the Principal.
var (
	// ErrNoUser: the Principal has no user.
	ErrNoUser = errors.New("impersonate: no authenticated user")
	// ErrSynthetic: the user is a synthetic stand-in for a ServiceAccount;
	// there is no human to impersonate, and the stand-in's name must not
	// reach the API server as if it were one.
	ErrSynthetic = errors.New("impersonate: a synthetic user has no human to impersonate")
	// ErrReservedExtra: the user's own extra holds ActorExtraKey or
	// ActorUIDExtraKey, in any letter case (the API server lower-cases
	// impersonated extra keys), which only the Actor may set.
	ErrReservedExtra = errors.New("impersonate: user extra holds a key reserved for the actor")
	// ErrNotHuman: the user name or a group breaks the identity-name rule
	// (authn.CheckUserName, authn.CheckGroupName): a system: name or
	// group, a ServiceAccount subject or a synthetic-prefixed name would
	// have the API server act as something no human is, such as
	// system:masters.
	ErrNotHuman = errors.New("impersonate: the user or a group is not a human identity")
)

// Config returns the impersonation of p's User: UserName, UID and Groups
// as they are, and Extra the User's extra plus, when p has an Actor,
// ActorExtraKey (and ActorUIDExtraKey when its uid is known). The result
// shares no slice or map with p. It returns ErrNoUser, ErrSynthetic,
// ErrNotHuman (whatever the chain that made p believed, only a human
// identity is impersonated), or ErrReservedExtra.
func Config(p authn.Principal) (rest.ImpersonationConfig, error) {
	switch {
	case p.User.IsZero():
		return rest.ImpersonationConfig{}, ErrNoUser
	case p.Synthetic:
		return rest.ImpersonationConfig{}, ErrSynthetic
	case authn.CheckUserName(p.User.Name) != nil:
		return rest.ImpersonationConfig{}, ErrNotHuman
	}
	for _, g := range p.User.Groups {
		if authn.CheckGroupName(g) != nil {
			return rest.ImpersonationConfig{}, ErrNotHuman
		}
	}
	u := p.User.Clone()
	for k := range u.Extra {
		if strings.EqualFold(k, ActorExtraKey) || strings.EqualFold(k, ActorUIDExtraKey) {
			return rest.ImpersonationConfig{}, ErrReservedExtra
		}
	}
	if a := p.Actor; a != nil {
		if u.Extra == nil {
			u.Extra = map[string][]string{}
		}
		u.Extra[ActorExtraKey] = []string{a.Subject()}
		if a.UID != "" {
			u.Extra[ActorUIDExtraKey] = []string{a.UID}
		}
	}
	return rest.ImpersonationConfig{UserName: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra}, nil
}

// For returns a copy of cfg that impersonates p (see Config); cfg is
// unchanged. It refuses a cfg that already impersonates someone, since
// the two would be merged by nobody.
func For(cfg *rest.Config, p authn.Principal) (*rest.Config, error) {
	if cfg == nil {
		return nil, errors.New("impersonate: For: cfg is nil")
	}
	if cfg.Impersonate.UserName != "" || cfg.Impersonate.UID != "" || len(cfg.Impersonate.Groups) > 0 || len(cfg.Impersonate.Extra) > 0 {
		return nil, errors.New("impersonate: For: cfg already impersonates")
	}
	ic, err := Config(p)
	if err != nil {
		return nil, fmt.Errorf("impersonate: For: %w", err)
	}
	out := rest.CopyConfig(cfg)
	out.Impersonate = ic
	return out, nil
}
