package signed

import (
	"regexp"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/claimmap"
)

// Google Cloud IAP's assertion header, its issuer, and where it publishes
// its keys as a JWKS (Google Cloud's "Securing your app with signed
// headers"). IAPUnsignedHeaders are the unsigned identity headers IAP also
// sends, which a request that bypassed IAP could forge.
const (
	IAPHeader  = "X-Goog-Iap-Jwt-Assertion"
	IAPIssuer  = "https://cloud.google.com/iap"
	IAPKeysURL = "https://www.gstatic.com/iap/verify/public_key-jwk"
)

// IAPUnsignedHeaders returns the names of IAP's unsigned identity headers.
func IAPUnsignedHeaders() []string {
	return []string{"X-Goog-Authenticated-User-Email", "X-Goog-Authenticated-User-Id"}
}

// IAPMaxLifetime is the longest exp-iat IAP issues (10 minutes), which the
// strategy holds assertions to, give or take twice the clock skew.
const IAPMaxLifetime = 10 * time.Minute

// iapAudience is the aud of a backend service or an App Engine app.
var iapAudience = regexp.MustCompile(`^/projects/[0-9]+/(global/backendServices/[0-9]+|apps/[a-z][-a-z0-9.:]*)$`)

// IAP returns the strategy named "iap", which verifies the
// X-Goog-Iap-Jwt-Assertion header Google Cloud Identity-Aware Proxy sends,
// with keys (those at IAPKeysURL, which jwks.URL keeps current). audience is the resource IAP protects:
// "/projects/PROJECT_NUMBER/global/backendServices/SERVICE_ID" (Compute
// Engine, GKE) or "/projects/PROJECT_NUMBER/apps/PROJECT_ID" (App Engine).
//
// It does not apply when the header is absent or the iss is not IAPIssuer.
// Any other assertion is refused unless:
//   - alg is ES256, the header has no "crit", and the signature verifies
//     with the key its kid names;
//   - exp and iat are present, exp is not past, nbf and iat not in the
//     future, give or take the clock skew, and exp is at most
//     IAPMaxLifetime after iat (plus twice the skew);
//   - aud is audience: every resource behind IAP gets assertions from the
//     same issuer, so one replayed from another resource is refused, not
//     passed on;
//   - "email" names a user that passes authn.CheckUserName.
//
// The user is named after "email" and gets its uid from "sub"
// ("accounts.google.com:ID"). The chain strips the header and
// IAPUnsignedHeaders from every request.
func IAP(keys jwks.KeySet, audience string, opts ...Option) (*Strategy, error) {
	c := newConfig("IAP", "ES256")
	if !iapAudience.MatchString(audience) {
		c.Errorf("audience %.200q is not /projects/NUMBER/global/backendServices/ID or /projects/NUMBER/apps/PROJECT_ID", audience)
	}
	c.apply(opts)
	skew := c.Skew
	v := vendor{
		name:       "iap",
		header:     IAPHeader,
		unsigned:   IAPUnsignedHeaders(),
		requireIAT: true,
		issuer:     stringClaim("iss"),
		checkClaims: func(claims map[string]any) string {
			exp, _ := claims["exp"].(float64)
			iat, _ := claims["iat"].(float64)
			// In seconds as floats: a Duration of a huge exp-iat would
			// wrap around and pass.
			if exp-iat > (IAPMaxLifetime + 2*skew).Seconds() {
				return "assertion lives longer than IAP issues them"
			}
			return ""
		},
		user: func(claims map[string]any) (authn.User, error) {
			var u authn.User
			var err error
			if u.Name, err = claimmap.Username(claims, claimmap.EmailClaim, ""); err != nil {
				return authn.User{}, err
			}
			u.Email = u.Name
			u.UID, _ = claims["sub"].(string)
			return u, nil
		},
	}
	return build(v, &c, keys, nil, []string{IAPIssuer}, []string{audience})
}
