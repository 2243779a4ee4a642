package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/claimmap"
	"github.com/authchain/authchain/internal/jwtcheck"
	"github.com/authchain/authchain/internal/notbuilt"
	"github.com/authchain/authchain/internal/tokenbind"
)

// Clock skew allowed when checking exp, nbf and iat.
const (
	DefaultClockSkew = jwtcheck.DefaultClockSkew
	MaxClockSkew     = jwtcheck.MaxClockSkew
)

// CredentialType is the Credential.Type of a verified ID token.
const CredentialType = "oidc"

// Option configures New. Options are checked when New builds the
// strategy.
type Option func(*config)

type config struct {
	jwtcheck.Options
	// username is the username claim and its prefix, nil for the default.
	username *prefixedClaim
	groups   *prefixedClaim
	uid      string
	email    string
	mapper   func(map[string]any) (authn.User, error)
}

type prefixedClaim struct{ claim, prefix string }

// WithAudiences sets the audiences an ID token may be for: the OAuth
// client ids of this application. It is required: an ID token minted for
// another client must not authenticate here. A token must name at least
// one of them in aud. Repeated calls add audiences.
func WithAudiences(aud ...string) Option {
	return func(c *config) { c.AddAudiences(aud) }
}

// WithClockSkew sets how far clocks may disagree when exp, nbf and iat are
// checked; the default is DefaultClockSkew, and it may be 0 up to
// MaxClockSkew.
func WithClockSkew(d time.Duration) Option {
	return func(c *config) { c.SetClockSkew(d) }
}

// WithAlgorithms sets the signature algorithms accepted; the default is
// RS256, RS384, RS512, ES256, ES384, ES512 and PS256. PS384, PS512 and
// EdDSA may be added. "none" and the HMAC algorithms (HS256, HS384, HS512)
// are refused: with them, anyone holding the public key could sign.
func WithAlgorithms(algs ...string) Option {
	return func(c *config) { c.SetAlgorithms(algs) }
}

// WithTokenSource sets where the token is read from; the default is
// bearer.FromAuthorization(). oauth2-proxy with --pass-authorization-header
// sends the ID token as "Authorization: Bearer".
func WithTokenSource(src bearer.Source) Option {
	return func(c *config) { c.Source = src }
}

// WithCacheTTL sets how long a verified token's identity is reused
// without parsing and checking its signature again (default 5m); 0
// disables the cache. An entry never outlives the token's exp, and every
// hit asks the key set again for the token's kid, so a key removed by the
// issuer stops a cached token as it stops a new one. Only the keyed MAC of a
// token is kept, and a rejection is kept for 10 seconds
// only when its reason cannot change for the same token (a bad signature,
// audience or claim; not an unknown kid or a time not yet reached), so
// that a client repeating a bad token costs no signature check. d must not be negative.
func WithCacheTTL(d time.Duration) Option {
	return func(c *config) { c.SetCacheTTL(d) }
}

// WithCacheSize bounds the number of cached tokens (default 10,000); the
// least recently used is evicted first. n must be at least 1.
func WithCacheSize(n int) Option {
	return func(c *config) { c.SetCacheSize(n) }
}

// WithCacheObserver has o told of every look-up in the cache of verified
// tokens and every verification behind it (see bearer.WithObserver), for
// metrics. o must not be nil.
func WithCacheObserver(o bearer.CacheObserver) Option {
	return func(c *config) { c.SetCacheObserver(o) }
}

// WithClaimsCheck has check judge the claims of every token that passed
// every other check: claims is the token's verified payload, decoded from
// JSON (numbers are float64). A non-nil error rejects the token (401) with
// the error's message as the reason, which a client sees: it must not
// quote a claim. check runs again for a cached token only when the token
// is verified again, so it must judge the claims alone. check must not be
// nil; a later call replaces an earlier one.
func WithClaimsCheck(check func(claims map[string]any) error) Option {
	return func(c *config) { c.SetClaimsCheck(check) }
}

// WithClock sets the clock exp, nbf and iat, and the cache's TTLs, are
// checked against, for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.SetClock(now) }
}

// WithUsernameClaim names the user after claim, a string claim the token
// must have, with prefix in front ("" for none). The default is "sub" with
// the issuer and "#" in front, as Kubernetes does, so that no name an
// issuer asserts can pass for another issuer's user or a local one. When
// claim is "email", a token whose "email_verified" claim is present and
// not true is refused, as Kubernetes refuses it.
func WithUsernameClaim(claim, prefix string) Option {
	return func(c *config) {
		if claim == "" {
			c.Errorf("WithUsernameClaim: claim is empty")
			return
		}
		c.username = &prefixedClaim{claim, prefix}
	}
}

// WithGroupsClaim takes the user's groups from claim, a string or a list
// of strings, each with prefix in front ("" for none); a token without the
// claim has no groups. Without this option the user has no groups. Every
// group must pass authn.CheckGroupName, which reserves "system:": an
// issuer cannot make a user a member of a Kubernetes system group.
func WithGroupsClaim(claim, prefix string) Option {
	return func(c *config) {
		if claim == "" {
			c.Errorf("WithGroupsClaim: claim is empty")
			return
		}
		c.groups = &prefixedClaim{claim, prefix}
	}
}

// WithUIDClaim takes the user's uid from claim, a string claim every token
// must then have.
func WithUIDClaim(claim string) Option {
	return func(c *config) {
		if claim == "" {
			c.Errorf("WithUIDClaim: claim is empty")
			return
		}
		c.uid = claim
	}
}

// WithEmailClaim takes the user's email from claim, a string claim; a
// token without it has no email. When claim is "email", a token whose
// "email_verified" claim is present and not true is refused.
func WithEmailClaim(claim string) Option {
	return func(c *config) {
		if claim == "" {
			c.Errorf("WithEmailClaim: claim is empty")
			return
		}
		c.email = claim
	}
}

// WithClaimsMapper has mapUser make the User from the verified payload
// (decoded from JSON: numbers are float64) instead of the claim options,
// which it excludes; authnconfig's CEL claim mappings use it. A non-nil
// error rejects the token (401) with the error's message as the reason,
// which a client sees: it must not quote a claim. The User it returns is
// judged as the claim options' is (see New). Like WithClaimsCheck it runs
// again only when a token is verified again, so it must map the claims
// alone. mapUser must not be nil.
func WithClaimsMapper(mapUser func(claims map[string]any) (authn.User, error)) Option {
	return func(c *config) {
		if mapUser == nil {
			c.Errorf("WithClaimsMapper(nil)")
			return
		}
		c.mapper = mapUser
	}
}

// Strategy verifies the ID tokens of one OpenID Connect issuer locally.
// Build it with New. It is safe for concurrent use.
type Strategy struct {
	issuer    string
	audiences []string
	source    bearer.Source
	// claimsCheck is WithClaimsCheck's, or nil.
	claimsCheck func(map[string]any) error
	mapUser     func(map[string]any) (authn.User, error)
	verifier    *jwtcheck.Verifier
	times       *gojwt.Validator
	// cache holds verified tokens; nil when disabled.
	cache *bearer.Cache[*verifiedID]
}

// New returns the strategy named "oidc", which verifies ID tokens issued
// by issuer (exactly the iss of its tokens) with the public keys of keys.
//
// It does not apply when a credential was already verified, when the
// request carries no bearer token, when the token is not a JWT or when its
// unverified iss is another issuer's: a chain may hold a jwt strategy for
// ServiceAccount tokens beside it, and each takes the tokens of its own
// issuer. Any other token is its business, and is rejected (never passed
// on) unless all of these hold:
//   - the header's alg is an accepted algorithm, the header has no "crit"
//     parameters, the kid selects a key in keys, bound to that alg if the
//     key set says (as in package jwt), and the signature verifies;
//   - exp and iat are present, exp is not past, and nbf (if any) and iat
//     are not in the future, all give or take the clock skew;
//   - sub is present and aud names at least one configured audience;
//   - azp, the authorized party, is a configured audience when present,
//     and is present when aud names several audiences (OpenID Connect
//     Core 1.0, section 3.1.3.7);
//   - the check of WithClaimsCheck, if any, accepts the claims;
//   - the claims map to a User (see WithUsernameClaim, WithGroupsClaim,
//     WithUIDClaim, WithEmailClaim, WithClaimsMapper) whose name is not
//     empty and passes authn.CheckUserName, whose groups pass
//     authn.CheckGroupName, and whose uid, email and extra keys and values
//     pass authn.CheckName.
//
// When keys are unavailable (not fetched yet, stale) it fails (503).
//
// A verified token's user becomes Principal.User; the Actor is never set.
// It is joined to what the chain established before (bearer.Bind): a
// forwarded user, such as oauth2-proxy's X-Forwarded-User sent beside the
// token, must have the same name, and an Actor set earlier (an access key)
// is a conflict, since a human's token cannot ride along a key; both are
// rejected. The token is described in Principal.Credential: Type
// CredentialType, ID "JTI=<jti>" when the token has a jti, Issuer, the
// configured audiences the token names, and ExpiresAt.
//
// It returns an error if issuer is empty, keys is nil (or holds a nil
// pointer) or is an authn.Validator that reports an error, no audience is
// configured, WithClaimsMapper is combined with a claim option, or an
// option is invalid.
func New(issuer string, keys jwks.KeySet, opts ...Option) (*Strategy, error) {
	c := config{Options: jwtcheck.NewOptions("oidc: New: ")}
	if issuer == "" {
		c.Errorf("issuer is empty")
	}
	c.CheckKeys(keys)
	for i, opt := range opts {
		if opt == nil {
			c.Errorf("option %d is nil", i)
			continue
		}
		opt(&c)
	}
	if len(c.Audiences) == 0 {
		c.Errorf("no audience: use WithAudiences with the client id, so that ID tokens minted for other clients are refused")
	}
	if c.mapper != nil && (c.username != nil || c.groups != nil || c.uid != "" || c.email != "") {
		c.Errorf("WithClaimsMapper maps every claim: it excludes WithUsernameClaim, WithGroupsClaim, WithUIDClaim and WithEmailClaim")
	}
	if err := errors.Join(c.Errs...); err != nil {
		return nil, err
	}
	s := &Strategy{
		issuer:      issuer,
		audiences:   c.Audiences,
		source:      c.Source,
		claimsCheck: c.ClaimsCheck,
		mapUser:     c.mapper,
		verifier:    jwtcheck.NewVerifier(keys, c.Algorithms, func(iss string) bool { return iss == issuer }),
		times:       jwtcheck.TimeValidator(&c.Options, gojwt.WithExpirationRequired()),
	}
	if s.mapUser == nil {
		s.mapUser = claimOptions(issuer, c)
	}
	cache, err := jwtcheck.NewCache(&c.Options, s.verify)
	if err != nil {
		return nil, fmt.Errorf("oidc: New: %w", err)
	}
	s.cache = cache
	return s, nil
}

// claimOptions returns the mapping the claim options describe.
func claimOptions(issuer string, c config) func(map[string]any) (authn.User, error) {
	username := prefixedClaim{"sub", issuer + "#"}
	if c.username != nil {
		username = *c.username
	}
	return func(claims map[string]any) (authn.User, error) {
		var u authn.User
		var err error
		if u.Name, err = claimmap.Username(claims, username.claim, username.prefix); err != nil {
			return authn.User{}, err
		}
		if g := c.groups; g != nil {
			if u.Groups, err = claimmap.Groups(claims, g.claim, g.prefix); err != nil {
				return authn.User{}, err
			}
		}
		if c.uid != "" {
			if u.UID, err = claimmap.UID(claims, c.uid); err != nil {
				return authn.User{}, err
			}
		}
		if c.email != "" {
			if u.Email, err = claimmap.Email(claims, c.email); err != nil {
				return authn.User{}, err
			}
		}
		return u, nil
	}
}

// Validate implements authn.Validator: it returns an error wrapping
// authn.ErrNotBuilt unless s was built by New.
func (s *Strategy) Validate() error {
	if s == nil || !s.verifier.Built() || s.times == nil || s.mapUser == nil || s.issuer == "" || len(s.audiences) == 0 {
		return notbuilt.Error("oidc.Strategy", "oidc.New")
	}
	return nil
}

// Name returns "oidc".
func (*Strategy) Name() string { return "oidc" }

// Headers implements authn.HeaderReader with the Headers of the strategy's
// bearer.Source: the chain strips Authorization (and
// X-Forwarded-Access-Token, when read), in every spelling, from every
// request, so that no handler holds the token.
func (s *Strategy) Headers() []string { return s.source.Headers() }

// Authenticate implements authn.Strategy; see New. It waits on the network
// only when the token's kid is unknown to keys (see jwks.OIDCKeys.Key).
func (s *Strategy) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	v, d, ok := jwtcheck.Authenticate(r, sofar, s.source, s.cache, s.verifier, s.verify)
	if !ok {
		return d
	}
	if sofar.Actor != nil {
		return authn.Reject("ID token presented with a ServiceAccount already established")
	}
	// Deep copies per request, so that no Principal can change the cached
	// value another request will get.
	_, cred := tokenbind.PerRequest(nil, &v.cred)
	return tokenbind.Bind(sofar, nil, v.user.Clone(), cred, "ID token verified")
}

// verifiedID is what a verified token proves, and the signing that proved
// it. Cached values are shared: never modify one.
type verifiedID struct {
	user    authn.User
	cred    authn.Credential
	signing jwtcheck.Signed
}

func (v *verifiedID) Signing() jwtcheck.Signed { return v.signing }
func (v *verifiedID) Expiry() time.Time        { return v.cred.ExpiresAt }

// idClaims are the registered claims and azp; a claim of another type than
// these makes the token malformed.
type idClaims struct {
	gojwt.RegisteredClaims
	AuthorizedParty string `json:"azp"`
}

// verify checks token and returns what it proves; ok is false when d is
// the decision to return. Decisions never quote the token or a claim.
func (s *Strategy) verify(ctx context.Context, token string) (*verifiedID, authn.Decision, bool) {
	var claims idClaims
	signing, d, ok := s.verifier.Signature(ctx, token, &claims)
	if !ok {
		return nil, d, false
	}
	// Only now are the claims the issuer's.
	if err := s.times.Validate(&claims); err != nil {
		return nil, authn.Reject(jwtcheck.TimeProblem(err)), false
	}
	if claims.IssuedAt == nil {
		return nil, authn.Reject("token has no issue time"), false
	}
	if claims.Subject == "" {
		return nil, authn.Reject("token has no subject"), false
	}
	if len(claims.Audience) == 0 {
		return nil, authn.Reject("token has no audience"), false
	}
	accepted := jwtcheck.AcceptedAudiences(claims.Audience, s.audiences)
	if len(accepted) == 0 {
		return nil, authn.Reject("token audience not accepted"), false
	}
	switch azp := claims.AuthorizedParty; {
	case azp != "" && !slices.Contains(s.audiences, azp):
		return nil, authn.Reject("token authorized party not accepted"), false
	case azp == "" && len(claims.Audience) > 1:
		return nil, authn.Reject("token for several audiences names no authorized party"), false
	}
	if s.claimsCheck != nil {
		if d, ok := s.verifier.CheckClaims(signing, s.claimsCheck); !ok {
			return nil, d, false
		}
	}
	user, d, ok := s.user(signing)
	if !ok {
		return nil, d, false
	}
	cred := authn.Credential{
		Type:      CredentialType,
		Issuer:    claims.Issuer,
		Audiences: accepted,
		ExpiresAt: claims.ExpiresAt.UTC(),
	}
	if claims.ID != "" {
		cred.ID = "JTI=" + claims.ID
	}
	return &verifiedID{user: user, cred: cred, signing: signing}, authn.Decision{}, true
}

// user maps the verified payload to the User and holds it to the
// identity-name rule.
func (s *Strategy) user(signing jwtcheck.Signed) (authn.User, authn.Decision, bool) {
	claims, ok := s.verifier.Payload(signing)
	if !ok {
		return authn.User{}, authn.Reject("malformed token"), false
	}
	u, err := s.mapUser(claims)
	if err != nil {
		return authn.User{}, authn.Reject("token claims: " + err.Error()), false
	}
	if reason := checkUser(u); reason != "" {
		return authn.User{}, authn.Reject("token claims map to a " + reason), false
	}
	return u, authn.Decision{}, true
}

// checkUser returns why u breaks the identity-name rule, or "". The chain
// checks its result too; checking here names the token as the cause.
func checkUser(u authn.User) string {
	if u.Name == "" {
		return "user without a name"
	}
	if err := authn.CheckUserName(u.Name); err != nil {
		return "user name that " + err.Error()
	}
	for _, g := range u.Groups {
		if err := authn.CheckGroupName(g); err != nil {
			return "group name that " + err.Error()
		}
	}
	if err := authn.CheckName(u.UID); err != nil {
		return "uid that " + err.Error()
	}
	if err := authn.CheckName(u.Email); err != nil {
		return "email that " + err.Error()
	}
	for k, vs := range u.Extra {
		if err := authn.CheckName(k); err != nil {
			return "extra key that " + err.Error()
		}
		for _, v := range vs {
			if err := authn.CheckName(v); err != nil {
				return "extra value that " + err.Error()
			}
		}
	}
	return ""
}
