package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/jwtcheck"
	"github.com/authchain/authchain/internal/notbuilt"
)

// Name is the strategy's name.
const Name = "assertion"

// CredentialType is the Credential.Type of a Principal rebuilt from an
// assertion.
const CredentialType = "assertion"

// Clock skew allowed when checking exp, nbf and iat.
const (
	DefaultClockSkew = jwtcheck.DefaultClockSkew
	MaxClockSkew     = jwtcheck.MaxClockSkew
)

// MaxAssertionLength bounds the header's value; a longer one is refused
// unread.
const MaxAssertionLength = 16 << 10

// Option configures New. Options are checked when New builds the
// strategy.
type Option func(*config)

type config struct {
	jwtcheck.Options
	replay int
}

// WithAudiences sets the audiences this service answers to, such as the
// origin the calling service's assertion.Transport uses by default
// ("https://runner.example.com"). It is required: an assertion minted for
// another downstream must not authenticate here. Repeated calls add
// audiences.
func WithAudiences(aud ...string) Option {
	return func(c *config) { c.AddAudiences(aud) }
}

// WithClockSkew sets how far clocks may disagree when exp, nbf and iat are
// checked; the default is DefaultClockSkew, and it may be 0 up to
// MaxClockSkew.
func WithClockSkew(d time.Duration) Option {
	return func(c *config) { c.SetClockSkew(d) }
}

// WithAlgorithms pins the signature algorithms accepted, of the two a
// Signer uses: ES256 and EdDSA (the default is both). Pin the one the
// minting service's key has.
func WithAlgorithms(algs ...string) Option {
	return func(c *config) {
		for _, a := range algs {
			if a != "ES256" && a != "EdDSA" {
				c.Errorf("WithAlgorithms: %q is not an algorithm assertions are signed with (ES256, EdDSA)", a)
				return
			}
		}
		c.SetAlgorithms(algs)
	}
}

// WithClock sets the clock exp, nbf and iat are checked against, for
// tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.SetClock(now) }
}

// WithReplayCache refuses an assertion whose jti was accepted before and
// has not expired, keeping at most size jtis (at least 1). An unexpired jti
// is never forgotten to make room: when size unexpired assertions are held,
// a new one fails (503) until one expires. Without it an
// assertion may be presented again until it expires: the audience binds it
// to this service and its lifetime is at most five minutes, and Go's
// http.Transport resends an idempotent request, assertion and all, when a
// reused connection fails. With it, give a size that holds every assertion
// accepted within one lifetime; the cache is per process, so a replay to
// another replica of the service is not seen.
func WithReplayCache(size int) Option {
	return func(c *config) {
		if size < 1 {
			c.Errorf("WithReplayCache(%d): size must be at least 1", size)
			return
		}
		c.replay = size
	}
}

// Strategy verifies the assertions of one minting service. Build it with
// New; it is safe for concurrent use.
type Strategy struct {
	issuer    string
	audiences []string
	skew      time.Duration
	verifier  *jwtcheck.Verifier
	times     *gojwt.Validator
	// seen holds the jti and expiry of accepted assertions; nil without
	// WithReplayCache.
	seen *replayCache
}

// New returns the strategy named "assertion", which believes the
// assertions minted by the assertion.Signer named issuer, verified with
// the public keys of keys (jwks.Static with the Signer's published set,
// or a key set that fetches it).
//
// It does not apply to a request without assertion.AssertionHeader, or
// whose assertion names another issuer (a chain may hold one strategy per
// minting service, each under its own name; see authn.Named). Any other
// value of the header is refused (401), never passed on, unless all of
// these hold:
//   - the header is sent once, under its canonical name;
//   - the JWS header's alg is ES256 or EdDSA (as WithAlgorithms pins it),
//     its typ is assertion.TokenType, it has no "crit", its kid selects a
//     key of keys (bound to that alg if the set says), and the signature
//     verifies: "none", an HMAC keyed with the public key, and another
//     key's signature are refused;
//   - exp and iat are present, exp is not past, nbf (if any) and iat are
//     not in the future, all give or take the clock skew, and exp - iat is
//     at most assertion.MaxLifetime plus the skew;
//   - aud is exactly one configured audience, and jti and sub are set;
//   - the format version is assertion.Version, and the claims describe a
//     Principal: a user name that passes authn.CheckUserName (or, for a
//     synthetic user, authn.CheckSyntheticName, with an Actor), an act.sub
//     that is a well-formed ServiceAccount subject, and names, groups,
//     uid, email and extra that pass authn.CheckName;
//   - with WithReplayCache, its jti was not accepted before;
//   - no identity was established by an earlier strategy: an assertion
//     beside another credential is ambiguous, so it is refused.
//
// When keys are unavailable it fails (503).
//
// The rebuilt Principal has the minting service's User, Actor (uid and
// attributes included) and Synthetic, and a Credential of Type
// CredentialType whose ID is the minting service's Credential.ID (the
// token it verified, so that audit on both sides names one token), whose
// Issuer is issuer, Audiences the one audience and ExpiresAt the
// assertion's exp. Via is this chain's; the minting service's Via is in
// the decision's Detail.
//
// It returns an error if issuer is empty, keys is nil or reports it was
// not built, no audience is configured, or an option is invalid.
func New(issuer string, keys jwks.KeySet, opts ...Option) (*Strategy, error) {
	c := config{Options: jwtcheck.NewOptions("verify: New: ")}
	c.Algorithms = []string{"ES256", "EdDSA"}
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
		c.Errorf("no audience: use WithAudiences with this service's name, so that assertions minted for other services are refused")
	}
	if err := errors.Join(c.Errs...); err != nil {
		return nil, err
	}
	s := &Strategy{
		issuer:    issuer,
		audiences: c.Audiences,
		skew:      c.Skew,
		verifier:  jwtcheck.NewVerifier(keys, c.Algorithms, func(iss string) bool { return iss == issuer }),
		times:     jwtcheck.TimeValidator(&c.Options, gojwt.WithExpirationRequired()),
	}
	if c.replay > 0 {
		seen, err := newReplayCache(c.replay, c.Skew, c.Now)
		if err != nil {
			return nil, fmt.Errorf("verify: New: %w", err)
		}
		s.seen = seen
	}
	return s, nil
}

// Validate implements authn.Validator: it returns an error wrapping
// authn.ErrNotBuilt unless s was built by New.
func (s *Strategy) Validate() error {
	if s == nil || !s.verifier.Built() || s.times == nil || s.issuer == "" || len(s.audiences) == 0 {
		return notbuilt.Error("verify.Strategy", "verify.New")
	}
	return nil
}

// Name returns "assertion".
func (*Strategy) Name() string { return Name }

// Headers implements authn.HeaderReader: the chain strips
// assertion.AssertionHeader, in every spelling, from every request, so
// that no handler holds an assertion to pass on.
func (*Strategy) Headers() []string { return []string{assertion.AssertionHeader} }

// Authenticate implements authn.Strategy; see New. It waits on the network
// only when keys does, for an unknown kid.
func (s *Strategy) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	token, err := authn.TakeHeader(r.Header, assertion.AssertionHeader, MaxAssertionLength)
	switch {
	case err != nil:
		return authn.Reject(err.Error())
	case token == "":
		return authn.Skip("no assertion")
	}
	p, detail, d, ok := s.verify(r.Context(), token)
	if !ok {
		return d
	}
	if !sofar.User.IsZero() || sofar.Actor != nil || sofar.Credential != nil {
		return authn.Reject("assertion presented beside another identity")
	}
	return authn.Contribute(p, "assertion verified").WithDetail(detail)
}

// wireClaims are the registered claims and the wire format's own.
type wireClaims struct {
	gojwt.RegisteredClaims
	assertion.Claims
}

// reasonOtherIssuer is the Skip reason of jwtcheck for a token of another
// issuer; every other Skip of a present assertion is a malformed one.
const reasonOtherIssuer = "token for another issuer"

// verify checks token and rebuilds its Principal; ok is false when d is
// the decision to return. No reason quotes the token or a claim.
func (s *Strategy) verify(ctx context.Context, token string) (p authn.Principal, detail string, d authn.Decision, ok bool) {
	var claims wireClaims
	signing, d, ok := s.verifier.Signature(ctx, token, &claims)
	if !ok {
		if d.Outcome == authn.NotApplicable && d.Reason != reasonOtherIssuer {
			// The header is this format's: what is not a JWT in it is
			// refused, not passed over.
			return p, "", authn.Reject("malformed assertion"), false
		}
		return p, "", d, false
	}
	// Only now are the claims the issuer's.
	// The typ is matched exactly, and a header that also spells the name
	// otherwise has none (jwtcheck.Signed.Typ): encoding/json's forgiving
	// names would let a JWT of another type carry this one's typ beside its
	// own.
	if signing.Typ != assertion.TokenType {
		return p, "", authn.Reject("token is not an assertion (typ)"), false
	}
	if err := s.times.Validate(&claims); err != nil {
		return p, "", authn.Reject(jwtcheck.TimeProblem(err)), false
	}
	if claims.IssuedAt == nil {
		return p, "", authn.Reject("assertion has no issue time"), false
	}
	if claims.ExpiresAt.Sub(claims.IssuedAt.Time) > assertion.MaxLifetime+s.skew {
		return p, "", authn.Reject("assertion lifetime too long"), false
	}
	if len(claims.Audience) != 1 || !slices.Contains(s.audiences, claims.Audience[0]) {
		return p, "", authn.Reject("assertion audience not accepted"), false
	}
	if claims.ID == "" {
		return p, "", authn.Reject("assertion has no jti"), false
	}
	if claims.Version != assertion.Version {
		return p, "", authn.Reject("assertion format version not supported"), false
	}
	p, reason := principal(&claims)
	if reason != "" {
		return authn.Principal{}, "", authn.Reject("assertion claims " + reason), false
	}
	if s.seen != nil {
		replayed, err := s.seen.add(claims.ID, claims.ExpiresAt.Time)
		switch {
		case replayed:
			return authn.Principal{}, "", authn.Reject("assertion replayed"), false
		case err != nil:
			return authn.Principal{}, "", authn.Fail("replay cache full", err), false
		}
	}
	p.Credential = &authn.Credential{
		Type:      CredentialType,
		ID:        claims.CredentialID,
		Issuer:    claims.Issuer,
		Audiences: []string{claims.Audience[0]},
		ExpiresAt: claims.ExpiresAt.UTC(),
	}
	detail = "minted by " + s.issuer
	if len(claims.Via) > 0 {
		detail += " after " + strings.Join(claims.Via, ",")
	}
	return p, detail, authn.Decision{}, true
}

// principal rebuilds the Principal the claims describe, or says what is
// wrong with them.
func principal(c *wireClaims) (authn.Principal, string) {
	p := authn.Principal{User: authn.User{Name: c.Subject}, Synthetic: c.Synthetic}
	if a := c.Claims.Actor; a != nil {
		sa, err := authn.ParseServiceAccountSubject(a.Subject)
		if err != nil {
			return p, "act: " + err.Error()
		}
		if err := authn.CheckName(a.UID); err != nil {
			return p, "act uid " + err.Error()
		}
		for k := range a.Attributes {
			if err := authn.CheckName(k); err != nil || k == "" {
				return p, "act attribute name is invalid"
			}
		}
		sa.UID, sa.Attributes = a.UID, a.Attributes
		p.Actor = &sa
	}
	switch {
	case c.Subject == "":
		return p, "name no user"
	case p.Synthetic && p.Actor == nil:
		return p, "name a synthetic user without an actor"
	case p.Synthetic:
		if err := authn.CheckSyntheticName(c.Subject); err != nil {
			return p, "name a synthetic user that " + err.Error()
		}
	default:
		if err := authn.CheckUserName(c.Subject); err != nil {
			return p, "name a user that " + err.Error()
		}
	}
	if u := c.User; u != nil {
		p.User.UID, p.User.Email, p.User.Groups, p.User.Extra = u.UID, u.Email, u.Groups, u.Extra
		if reason := checkUser(p.User); reason != "" {
			return p, reason
		}
	}
	for _, v := range c.Via {
		if !validStrategyName(v) {
			return p, "name an invalid strategy in via"
		}
	}
	return p, ""
}

// checkUser says which of u's uid, email, groups and extra breaks
// authn.CheckName, or returns "". The chain checks them too; checking here
// names the assertion as the cause.
func checkUser(u authn.User) string {
	for _, g := range u.Groups {
		// A system: group is the API server's to assign, never an
		// assertion's.
		if err := authn.CheckGroupName(g); err != nil {
			return "name a group that " + err.Error()
		}
	}
	values := []string{u.UID, u.Email}
	for k, vs := range u.Extra {
		if k == "" {
			return "name an empty extra key"
		}
		values = append(append(values, k), vs...)
	}
	for _, v := range values {
		if err := authn.CheckName(v); err != nil {
			return "name a user attribute that " + err.Error()
		}
	}
	return ""
}

// validStrategyName reports whether v could be a strategy's name, so that
// the via put in the Detail holds nothing but names.
func validStrategyName(v string) bool {
	if v == "" || len(v) > 63 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
