package signed

import (
	"regexp"

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/claimmap"
	"github.com/authchain/authchain/internal/jwtcheck"
)

// ALB's assertion header (AWS Elastic Load Balancing's "Authenticate users
// using an Application Load Balancer"). ALBIdentityHeader is the unsigned
// subject ALB sends beside it, which a request that bypassed the load
// balancer could forge.
const (
	ALBHeader         = "X-Amzn-Oidc-Data"
	ALBIdentityHeader = "X-Amzn-Oidc-Identity"
)

// ALBTarget is what an ALB assertion must name in its JWT header.
type ALBTarget struct {
	// LoadBalancerARN is the load balancer's ARN, which ALB writes in
	// "signer": arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID.
	LoadBalancerARN string
	// Issuer is the identity provider's issuer, configured on the
	// listener rule, which ALB writes in "iss".
	Issuer string
	// ClientID is the OAuth client id of the listener rule, which ALB
	// writes in "client".
	ClientID string
}

var albARN = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer/app/[A-Za-z0-9-]+/[0-9a-f]+$`)

// ALB returns the strategy named "alb", which verifies the X-Amzn-Oidc-Data
// header an AWS Application Load Balancer sends after authenticating a user,
// with keys (ALBKeys of the load balancer's region). ALB writes the
// routing fields in the JWT header, not the payload, and pads its base64
// segments, which this strategy alone accepts.
//
// It does not apply when the header is absent or the header's iss is not
// target.Issuer. Any other assertion is refused unless:
//   - alg is ES256, the header has no "crit", and the signature verifies
//     with the key its kid names;
//   - the header's "signer" is target.LoadBalancerARN (another load
//     balancer's assertion is refused even when AWS signed it), its
//     "client" is target.ClientID, and its "exp" is a number; the payload's
//     iss, if any, equals the header's;
//   - exp (the sooner of the header's and the payload's, if any) is not
//     past, nbf and iat (if any) are not in the future, give or take the
//     clock skew;
//   - the user claim (WithUserClaim; "email" by default) names a user that
//     passes authn.CheckUserName.
//
// The user gets uid from "sub" and email from "email", when present. The
// chain strips the header and ALBIdentityHeader from every request.
func ALB(keys jwks.KeySet, target ALBTarget, opts ...Option) (*Strategy, error) {
	c := newConfig("ALB", "ES256")
	c.userClaim = claimmap.EmailClaim
	if !albARN.MatchString(target.LoadBalancerARN) {
		c.Errorf("LoadBalancerARN %.200q is not an Application Load Balancer's ARN", target.LoadBalancerARN)
	}
	if target.Issuer == "" {
		c.Errorf("Issuer is empty: give the identity provider's issuer of the listener rule")
	}
	if target.ClientID == "" {
		c.Errorf("ClientID is empty: give the OAuth client id of the listener rule")
	}
	c.apply(opts)
	v := vendor{
		name:     "alb",
		header:   ALBHeader,
		unsigned: []string{ALBIdentityHeader},
		padded:   true,
		issuer: func(header, _ map[string]any) string {
			s, _ := header["iss"].(string)
			return s
		},
		checkHeader: func(header, claims map[string]any) string {
			return albHeader(target, header, claims)
		},
		user: mapUser(c.userClaim, "", ""),
	}
	return build(v, &c, keys, []option{optUserClaim}, []string{target.Issuer}, nil)
}

// albHeader judges the fields ALB puts in the JWT header; it copies the
// header's exp into claims when the payload has none, so that the time
// checks judge it.
func albHeader(target ALBTarget, header, claims map[string]any) string {
	if signer, _ := header["signer"].(string); signer != target.LoadBalancerARN {
		return "assertion signed for another load balancer"
	}
	if client, _ := header["client"].(string); client != target.ClientID {
		return "assertion for another client"
	}
	exp, ok := header["exp"].(float64)
	switch {
	case !ok:
		return "assertion header has no expiry"
	case !jwtcheck.NumericDateInRange(exp):
		return "token time claims out of range"
	}
	if iss, present := claims["iss"]; present && iss != header["iss"] {
		return "assertion issuers disagree"
	}
	// The sooner of the two expiries holds.
	if payloadExp, present := claims["exp"]; !present {
		claims["exp"] = exp
	} else if pe, ok := payloadExp.(float64); ok && exp < pe {
		claims["exp"] = exp
	}
	return ""
}
