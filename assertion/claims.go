package assertion

import "github.com/authchain/authchain/authn"

// TokenType is the "typ" header of every assertion.
const TokenType = "authchain-assertion+jwt"

// Version is the version of the wire format this package mints.
const Version = 1

// Claims are the claims of the wire format beyond the registered ones
// (iss, sub, aud, exp, nbf, iat, jti); see the package documentation. A
// verifier decodes them beside the registered claims.
type Claims struct {
	Version      int          `json:"authchain.dev/v"`
	Actor        *ActorClaims `json:"act,omitempty"`
	User         *UserClaims  `json:"authchain.dev/user,omitempty"`
	Synthetic    bool         `json:"authchain.dev/synthetic,omitempty"`
	Via          []string     `json:"authchain.dev/via,omitempty"`
	CredentialID string       `json:"authchain.dev/credential-id,omitempty"`
}

// ActorClaims is the RFC 8693 "act" claim: the ServiceAccount acting for
// the subject.
type ActorClaims struct {
	// Subject is system:serviceaccount:NAMESPACE:NAME.
	Subject    string            `json:"sub"`
	UID        string            `json:"authchain.dev/uid,omitempty"`
	Attributes map[string]string `json:"authchain.dev/attributes,omitempty"`
}

// UserClaims are the parts of Principal.User beside its name, which is
// "sub".
type UserClaims struct {
	UID    string              `json:"uid,omitempty"`
	Email  string              `json:"email,omitempty"`
	Groups []string            `json:"groups,omitempty"`
	Extra  map[string][]string `json:"extra,omitempty"`
}

// registered are the registered claims an assertion carries.
type registered struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	ExpiresAt int64  `json:"exp"`
	NotBefore int64  `json:"nbf"`
	IssuedAt  int64  `json:"iat"`
	ID        string `json:"jti"`
}

// payload is what is signed.
type payload struct {
	registered
	Claims
}

// claimsFor returns the private claims that describe p.
func claimsFor(p authn.Principal) Claims {
	c := Claims{Version: Version, Synthetic: p.Synthetic, Via: p.Via}
	if a := p.Actor; a != nil {
		c.Actor = &ActorClaims{Subject: a.Subject(), UID: a.UID, Attributes: a.Attributes}
	}
	u := p.User
	if u.UID != "" || u.Email != "" || len(u.Groups) > 0 || len(u.Extra) > 0 {
		c.User = &UserClaims{UID: u.UID, Email: u.Email, Groups: u.Groups, Extra: u.Extra}
	}
	if p.Credential != nil {
		c.CredentialID = p.Credential.ID
	}
	return c
}
