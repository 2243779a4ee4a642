package signed

import (
	"slices"
	"time"

	"github.com/authchain/authchain/internal/jwtcheck"
)

// Clock skew allowed when checking exp, nbf and iat.
const (
	DefaultClockSkew = jwtcheck.DefaultClockSkew
	MaxClockSkew     = jwtcheck.MaxClockSkew
)

// Option configures a vendor's constructor. Options are checked when the
// strategy is built; an option the vendor does not take is an error
// rather than silently ignored.
type Option func(*config)

// option names the settings a vendor may refuse.
type option string

const (
	optAlgorithms   option = "WithAlgorithms"
	optIssuers      option = "WithIssuers"
	optUserClaim    option = "WithUserClaim"
	optGroupsPrefix option = "WithGroupsPrefix"
	optTraits       option = "WithTraits"
)

type config struct {
	jwtcheck.Options
	issuers      []string
	userClaim    string
	groupsPrefix string
	traits       []string
	used         []option
}

func (c *config) use(o option) {
	if !slices.Contains(c.used, o) {
		c.used = append(c.used, o)
	}
}

// WithClockSkew sets how far clocks may disagree when exp, nbf and iat are
// checked; the default is DefaultClockSkew, and it may be 0 up to
// MaxClockSkew.
func WithClockSkew(d time.Duration) Option {
	return func(c *config) { c.SetClockSkew(d) }
}

// WithClock sets the clock exp, nbf and iat are checked against, for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.SetClock(now) }
}

// WithAlgorithms replaces the signature algorithms accepted, for the
// vendors whose signing key is configurable (Pomerium, Teleport). "none" and
// the HMAC algorithms are refused: with them anyone holding the public key
// could sign. IAP and ALB sign with ES256 only and refuse this option.
func WithAlgorithms(algs ...string) Option {
	return func(c *config) {
		c.use(optAlgorithms)
		c.SetAlgorithms(algs)
	}
}

// WithIssuers replaces the iss values a Pomerium assertion may carry, which
// by default is the route's host name. Pomerium's jwt_issuer_format "uri"
// writes "https://HOST/" instead. Only Pomerium takes it.
func WithIssuers(iss ...string) Option {
	return func(c *config) {
		c.use(optIssuers)
		if len(iss) == 0 || slices.Contains(iss, "") {
			c.Errorf("WithIssuers needs non-empty issuers")
			return
		}
		c.issuers = slices.Clone(iss)
	}
}

// WithUserClaim names the claim the user is named after, for Pomerium
// ("email" by default, or "sub" or "user", the identity provider's user id)
// and ALB ("email" by default, or any string claim of the identity
// provider's user info). An "email" claim is refused when the assertion's
// "email_verified" is present and not true.
func WithUserClaim(claim string) Option {
	return func(c *config) {
		c.use(optUserClaim)
		if claim == "" {
			c.Errorf("WithUserClaim: claim is empty")
			return
		}
		c.userClaim = claim
	}
}

// WithGroupsPrefix puts prefix in front of every group a Pomerium
// assertion's "groups" or a Teleport assertion's "roles" names, so that a
// proxy's group cannot pass for a local one of the same name. The default
// is no prefix.
func WithGroupsPrefix(prefix string) Option {
	return func(c *config) {
		c.use(optGroupsPrefix)
		c.groupsPrefix = prefix
	}
}

// WithTraits copies the named Teleport traits into User.Extra, each under
// TeleportTraitPrefix + name; without it no trait is copied. A trait with
// more than MaxTraitValues values refuses the assertion rather than being
// cut short. Only Teleport takes it.
func WithTraits(names ...string) Option {
	return func(c *config) {
		c.use(optTraits)
		if len(names) == 0 || slices.Contains(names, "") {
			c.Errorf("WithTraits needs non-empty trait names")
			return
		}
		for _, n := range names {
			if !slices.Contains(c.traits, n) {
				c.traits = append(c.traits, n)
			}
		}
	}
}
