package signed

import (
	"fmt"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
)

// Teleport's assertion header and the path under the proxy's address where
// Teleport publishes the keys that verify it (Teleport's "Use JWT Tokens
// With Application Access").
const (
	TeleportHeader   = "Teleport-Jwt-Assertion"
	TeleportKeysPath = "/.well-known/jwks.json"
)

// TeleportTraitPrefix starts the User.Extra key of a trait copied with
// WithTraits; MaxTraitValues bounds the values of one trait.
const (
	TeleportTraitPrefix = "traits.goteleport.com/"
	MaxTraitValues      = 64
)

// Teleport returns the strategy named "teleport", which verifies the
// Teleport-Jwt-Assertion header Teleport's application access sends, with
// keys (the proxy's TeleportKeysPath, which jwks.URL keeps current). cluster is the Teleport cluster's
// name, which Teleport writes in iss; appURI is the application's URI as
// Teleport knows it, which it writes in aud.
//
// It does not apply when the header is absent or the iss is another
// cluster's. Any other assertion is refused unless:
//   - alg is RS256 (or one of WithAlgorithms), the header has no "crit",
//     and the signature verifies with the key its kid names;
//   - exp is present and not past, nbf and iat (if any) are not in the
//     future, give or take the clock skew;
//   - aud names appURI, so that an assertion for another application is
//     refused;
//   - "username" names a user that passes authn.CheckUserName, every role
//     in "roles" (with WithGroupsPrefix in front) passes
//     authn.CheckGroupName, and every trait WithTraits copies has at most
//     MaxTraitValues values, each passing authn.CheckName.
//
// The user is named after "username" and gets the roles as groups. The
// chain strips the header from every request.
func Teleport(keys jwks.KeySet, cluster, appURI string, opts ...Option) (*Strategy, error) {
	c := newConfig("Teleport", "RS256")
	if cluster == "" {
		c.Errorf("cluster is empty: give the Teleport cluster name")
	}
	if appURI == "" {
		c.Errorf("appURI is empty: give the application's URI")
	}
	c.apply(opts)
	roles := mapUser("username", "roles", c.groupsPrefix)
	traits := c.traits
	v := vendor{
		name:   "teleport",
		header: TeleportHeader,
		issuer: stringClaim("iss"),
		user: func(claims map[string]any) (authn.User, error) {
			u, err := roles(claims)
			if err != nil {
				return authn.User{}, err
			}
			// Teleport's sub is the user name again, not an id.
			u.UID = ""
			u.Extra, err = teleportTraits(claims, traits)
			return u, err
		},
	}
	return build(v, &c, keys, []option{optAlgorithms, optGroupsPrefix, optTraits}, []string{cluster}, []string{appURI})
}

// teleportTraits copies the named traits out of the "traits" claim.
func teleportTraits(claims map[string]any, names []string) (map[string][]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	all, _ := claims["traits"].(map[string]any)
	var extra map[string][]string
	for _, name := range names {
		raw, ok := all[name].([]any)
		if !ok || len(raw) == 0 {
			continue
		}
		if len(raw) > MaxTraitValues {
			return nil, fmt.Errorf("trait %q has more than %d values", name, MaxTraitValues)
		}
		values := make([]string, 0, len(raw))
		for _, v := range raw {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("trait %q holds a value that is not a string", name)
			}
			values = append(values, s)
		}
		if extra == nil {
			extra = map[string][]string{}
		}
		extra[TeleportTraitPrefix+name] = values
	}
	return extra, nil
}
