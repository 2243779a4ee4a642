package signed

import (
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/claimmap"
)

// Pomerium's assertion header, and the path under each route's host where
// Pomerium publishes the keys that verify it (Pomerium's "JWT
// Verification" guide). PomeriumClaimHeaders are the unsigned claim
// headers Pomerium can be told to set.
const (
	PomeriumHeader       = "X-Pomerium-Jwt-Assertion"
	PomeriumKeysPath     = "/.well-known/pomerium/jwks.json"
	PomeriumClaimHeaders = "X-Pomerium-Claim-*"
)

// Pomerium returns the strategy named "pomerium", which verifies the
// X-Pomerium-Jwt-Assertion header Pomerium sends on the route whose From
// URL has the host name route (such as "app.example.com"), with keys: the
// route's PomeriumKeysPath, which jwks.URL keeps current (or jwks.Static
// holds, from a file).
//
// It does not apply when the header is absent or when the assertion's iss
// is not the route's (another route's assertion, for a chain holding a
// strategy per route). Any other assertion is refused unless:
//   - alg is ES256 (or one of WithAlgorithms), the header has no "crit",
//     and the signature verifies with the key its kid names;
//   - exp is present and not past, nbf and iat are not in the future, give
//     or take the clock skew;
//   - aud names the route (Pomerium writes the route's host name in both
//     iss and aud; with jwt_issuer_format "uri" the iss is "https://HOST/",
//     accepted with WithIssuers);
//   - the user claim (WithUserClaim; "email" by default) names a user that
//     passes authn.CheckUserName, and every entry of "groups" (with
//     WithGroupsPrefix in front) passes authn.CheckGroupName.
//
// The user gets uid from "sub" and email from "email", when present. A
// repeated or oversized header is refused. The chain strips the header and
// PomeriumClaimHeaders from every request.
func Pomerium(keys jwks.KeySet, route string, opts ...Option) (*Strategy, error) {
	c := newConfig("Pomerium", "ES256")
	c.userClaim = claimmap.EmailClaim
	if route == "" {
		c.Errorf("route is empty: give the host name of the route's From URL")
	}
	c.apply(opts)
	issuers := []string{route}
	if c.issuers != nil {
		issuers = c.issuers
	}
	v := vendor{
		name:     "pomerium",
		header:   PomeriumHeader,
		unsigned: []string{PomeriumClaimHeaders},
		issuer:   stringClaim("iss"),
		user:     mapUser(c.userClaim, "groups", c.groupsPrefix),
	}
	return build(v, &c, keys, []option{optAlgorithms, optIssuers, optUserClaim, optGroupsPrefix}, issuers, []string{route})
}

// stringClaim returns a reader of the string claim name.
func stringClaim(name string) func(_, claims map[string]any) string {
	return func(_, claims map[string]any) string {
		s, _ := claims[name].(string)
		return s
	}
}

// mapUser names the user after userClaim, takes uid from "sub", email from
// "email" and groups from groupsClaim (none when ""), each with prefix.
func mapUser(userClaim, groupsClaim, prefix string) func(map[string]any) (authn.User, error) {
	return func(claims map[string]any) (authn.User, error) {
		var u authn.User
		var err error
		if u.Name, err = claimmap.Username(claims, userClaim, ""); err != nil {
			return authn.User{}, err
		}
		if u.Email, err = claimmap.Email(claims, claimmap.EmailClaim); err != nil {
			return authn.User{}, err
		}
		if sub, ok := claims["sub"].(string); ok {
			u.UID = sub
		}
		if groupsClaim != "" {
			if u.Groups, err = claimmap.Groups(claims, groupsClaim, prefix); err != nil {
				return authn.User{}, err
			}
		}
		return u, nil
	}
}
