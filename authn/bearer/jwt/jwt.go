package jwt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/boundkind"
	"github.com/authchain/authchain/internal/jwtcheck"
	"github.com/authchain/authchain/internal/notbuilt"
	"github.com/authchain/authchain/internal/tokenbind"
)

// LegacyServiceAccountIssuer is the iss of legacy, Secret-based
// ServiceAccount tokens; see InsecureAcceptLegacySecretTokens.
const LegacyServiceAccountIssuer = "kubernetes/serviceaccount"

// Clock skew allowed when checking exp, nbf and iat.
const (
	DefaultClockSkew = jwtcheck.DefaultClockSkew
	MaxClockSkew     = jwtcheck.MaxClockSkew
)

// Option configures ServiceAccount. Options are checked when
// ServiceAccount builds the strategy.
type Option func(*jwtConfig)

type jwtConfig struct {
	jwtcheck.Options
	legacy     bool
	boundKinds []string
}

// WithAudiences sets the audiences a token may be for; it is required, since
// a token for another audience (another service the pod talks to) must not
// authenticate here. A token must name at least one of them in aud.
// Repeated calls add audiences.
func WithAudiences(aud ...string) Option {
	return func(c *jwtConfig) { c.AddAudiences(aud) }
}

// WithClockSkew sets how far clocks may disagree when exp, nbf and iat are
// checked; the default is DefaultClockSkew, and it may be 0 up to
// MaxClockSkew.
func WithClockSkew(d time.Duration) Option {
	return func(c *jwtConfig) { c.SetClockSkew(d) }
}

// WithAlgorithms sets the signature algorithms accepted; the default is
// RS256, RS384, RS512, ES256, ES384, ES512 and PS256. PS384, PS512 and
// EdDSA may be added. "none" and the HMAC algorithms (HS256, HS384, HS512)
// are refused: with them, anyone holding the public key could sign.
func WithAlgorithms(algs ...string) Option {
	return func(c *jwtConfig) { c.SetAlgorithms(algs) }
}

// WithTokenSource sets where the token is read from; the default is
// bearer.FromAuthorization().
func WithTokenSource(src bearer.Source) Option {
	return func(c *jwtConfig) { c.Source = src }
}

// InsecureAcceptLegacySecretTokens also accepts legacy ServiceAccount tokens
// kept in Secrets: iss LegacyServiceAccountIssuer, no aud and usually no
// exp, and the claims kubernetes.io/serviceaccount/namespace,
// secret.name, service-account.name and service-account.uid (all
// required). Such a token never expires, is for every audience, and is
// revoked by deleting its Secret, which cannot be seen locally: a leaked
// one authenticates here for ever. Prefer a TokenReview strategy for them,
// which asks the API server. Without this option they are not this
// strategy's business (it skips them).
func InsecureAcceptLegacySecretTokens() Option {
	return func(c *jwtConfig) { c.legacy = true }
}

// WithCacheTTL sets how long a verified token's identity is reused
// without parsing and checking its signature again (default 5m); 0
// disables the cache. An entry never outlives the token's exp, and every
// hit asks the key set again for the token's kid, so a key removed by the
// issuer, or a key set gone stale, stops a cached token as it stops a new
// one. Only the keyed MAC of a token is kept, and a rejection is kept for 10 seconds
// only when its reason cannot change for the same token (a bad signature,
// audience or claim; not an unknown kid or a time not yet reached), so
// that a client repeating a bad token costs no signature check.
// d must not be negative.
func WithCacheTTL(d time.Duration) Option {
	return func(c *jwtConfig) { c.SetCacheTTL(d) }
}

// WithCacheSize bounds the number of cached tokens (default 10,000); the
// least recently used is evicted first. n must be at least 1.
func WithCacheSize(n int) Option {
	return func(c *jwtConfig) { c.SetCacheSize(n) }
}

// WithCacheObserver has o told of every look-up in the cache of verified
// tokens and every verification behind it (see bearer.WithObserver), for
// metrics. With WithCacheTTL(0) there is no cache and o hears nothing. o
// must not be nil.
func WithCacheObserver(o bearer.CacheObserver) Option {
	return func(c *jwtConfig) { c.SetCacheObserver(o) }
}

// WithBoundObjectKinds accepts tokens bound to objects of the given kinds,
// as Kubernetes names them in the token's kubernetes.io claim, such as
// bearer.BoundValidatingWebhookConfiguration. Without it such a token is refused
// ("token bound to an object kind this verifier does not check"), as is a
// token whose kubernetes.io claim holds any key the strategy does not know:
// a binding narrows what a token is for, and a verifier that ignored it
// would accept a token meant for an admission webhook as an ordinary one.
// An accepted binding must name the object's name and uid; it is recorded
// in Credential.Bindings with the token's attestations (the kubernetes.io
// "attestations" claim), which are otherwise refused too. The strategy
// does not check that the object exists. Kinds are lower-case letters and
// digits and may not be one the strategy reads itself (pod, node, secret,
// and the claim's other keys); repeated calls add kinds.
func WithBoundObjectKinds(kinds ...string) Option {
	return func(c *jwtConfig) {
		var err error
		if c.boundKinds, err = boundkind.Add(c.boundKinds, kinds); err != nil {
			c.Errorf("WithBoundObjectKinds: %v", err)
		}
	}
}

// WithClaimsCheck has check judge the claims of every token that passed
// every other check (signature, times, audience, the kubernetes.io claims
// and subject): claims is the token's verified payload, decoded from JSON
// (numbers are float64). A non-nil error rejects the token (401) with the
// error's message as the reason, which a client sees: it must not quote a
// claim. check runs again for a cached token only when the token is
// verified again, so it must judge the claims alone, not the time or
// outside state. Without this option no payload is decoded beyond what the
// strategy reads. check must not be nil; a later call replaces an earlier
// one.
func WithClaimsCheck(check func(claims map[string]any) error) Option {
	return func(c *jwtConfig) { c.SetClaimsCheck(check) }
}

// WithClock sets the clock exp, nbf and iat, and the cache's TTLs, are
// checked against, for tests.
func WithClock(now func() time.Time) Option {
	return func(c *jwtConfig) { c.SetClock(now) }
}

// Strategy verifies Kubernetes ServiceAccount tokens locally, with the
// issuer's public keys. Build it with ServiceAccount. It is safe for
// concurrent use.
type Strategy struct {
	issuer    string
	keys      jwks.KeySet
	audiences []string
	source    bearer.Source
	// acceptLegacy is InsecureAcceptLegacySecretTokens.
	acceptLegacy bool
	// boundKinds are the kinds of WithBoundObjectKinds.
	boundKinds []string
	// claimsCheck is WithClaimsCheck's, or nil.
	claimsCheck func(map[string]any) error
	verifier    *jwtcheck.Verifier
	// boundTimes checks exp (required), nbf and iat of bound tokens;
	// legacyTimes the same with exp optional.
	boundTimes  *gojwt.Validator
	legacyTimes *gojwt.Validator
	// cache holds verified tokens; nil when disabled.
	cache *bearer.Cache[*verifiedJWT]
}

// ServiceAccount returns the strategy named "jwt", which verifies
// ServiceAccount tokens issued by issuer (kube-apiserver's
// --service-account-issuer) with the public keys of keys.
//
// It does not apply when a credential was already verified, when the
// request carries no bearer token, when the token is not a JWT (an opaque
// token may be for a TokenReview strategy) or when its unverified iss is
// another issuer's. Any other token is its business, and is rejected
// (never passed on) unless all of these hold:
//   - the header's alg is an accepted algorithm and the header has no
//     "crit" parameters; the kid selects the key in keys (an unknown kid
//     may make keys refresh first); when keys is a jwks.AlgorithmKeySet
//     (jwks.Static, jwks.OIDCKeys) and the key was published with an "alg", the header's alg is that
//     one (RFC 7517, section 4.4);
//   - the signature verifies;
//   - exp is present and not past, nbf (if any) is not in the future, and
//     iat (if any) is not in the future, all give or take the clock skew;
//   - aud names at least one configured audience;
//   - the kubernetes.io claims name a namespace and a ServiceAccount with
//     a name and uid; a pod, node or secret it names has a name and uid;
//     it holds no other key, unless the key names a kind accepted with
//     WithBoundObjectKinds (then the object needs a name and uid too), and
//     it holds "attestations" only beside such a binding;
//   - sub is system:serviceaccount:NAMESPACE:NAME for the same namespace
//     and name, and passes authn.ParseServiceAccountSubject.
//   - the check of WithClaimsCheck, if any, accepts the claims.
//
// When keys are unavailable (not fetched yet, stale) it fails (503).
//
// Verified tokens are cached by default; see WithCacheTTL for why a
// cached token is judged as a new one would be.
//
// A verified token makes its ServiceAccount the Actor (uid included) and
// is described in Principal.Credential: Type "jwt", ID "JTI=<jti>" when
// the token has a jti, Issuer, the configured audiences the token names,
// ExpiresAt, the bound Pod and Node, and the Bindings of accepted kinds. It
// is joined to what the chain established before: a forwarded
// ServiceAccount name, or an Actor set earlier, must be the token's (uid
// included), and a forwarded human is a conflict.
//
// What local verification cannot see: kube-apiserver also rejects a bound
// token whose pod, node or secret has been deleted, and tokens projected
// into pods may be valid for up to a year with extended expiry. Here such
// a token is valid until its exp; put a TokenReview strategy first, or
// check the Actor's uid against the cluster (as strategies.CreatorAnnotation
// does), if
// that matters.
//
// It returns an error if issuer is empty or LegacyServiceAccountIssuer,
// keys is nil (or holds a nil pointer) or is an authn.Validator that
// reports an error (a jwks.OIDCKeys not built by jwks.OIDC), no audience is
// configured, or an option is invalid.
func ServiceAccount(issuer string, keys jwks.KeySet, opts ...Option) (*Strategy, error) {
	c := jwtConfig{Options: jwtcheck.NewOptions("jwt: ServiceAccount: ")}
	switch issuer {
	case "":
		c.Errorf("issuer is empty")
	case LegacyServiceAccountIssuer:
		c.Errorf("issuer %q is the legacy issuer; use InsecureAcceptLegacySecretTokens", issuer)
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
		c.Errorf("no audience: use WithAudiences, so that tokens meant for other services are refused")
	}
	if err := errors.Join(c.Errs...); err != nil {
		return nil, err
	}
	s := &Strategy{
		issuer:       issuer,
		keys:         keys,
		audiences:    c.Audiences,
		source:       c.Source,
		acceptLegacy: c.legacy,
		boundKinds:   c.boundKinds,
		claimsCheck:  c.ClaimsCheck,
		boundTimes:   jwtcheck.TimeValidator(&c.Options, gojwt.WithExpirationRequired()),
		legacyTimes:  jwtcheck.TimeValidator(&c.Options),
	}
	s.verifier = jwtcheck.NewVerifier(keys, c.Algorithms, func(iss string) bool {
		return iss == issuer || c.legacy && iss == LegacyServiceAccountIssuer
	})
	cache, err := jwtcheck.NewCache(&c.Options, s.verify)
	if err != nil {
		return nil, fmt.Errorf("jwt: ServiceAccount: %w", err)
	}
	s.cache = cache
	return s, nil
}

// Validate implements authn.Validator: it returns an error wrapping
// authn.ErrNotBuilt unless s was built by ServiceAccount.
func (s *Strategy) Validate() error {
	if s == nil || s.keys == nil || !s.verifier.Built() || s.boundTimes == nil || s.legacyTimes == nil ||
		s.issuer == "" || len(s.audiences) == 0 {
		return notbuilt.Error("jwt.Strategy", "jwt.ServiceAccount")
	}
	return nil
}

// Name returns "jwt".
func (*Strategy) Name() string { return "jwt" }

// Headers implements authn.HeaderReader with the Headers of the strategy's
// bearer.Source: the chain strips Authorization (and
// X-Forwarded-Access-Token, when read), in every spelling, from every
// request, so that no handler holds the token.
func (s *Strategy) Headers() []string { return s.source.Headers() }

// Authenticate implements authn.Strategy; see ServiceAccount. It waits
// on the network only when the token's kid is unknown to keys (see
// jwks.OIDCKeys.Key); tokens signed with known keys are verified in memory.
func (s *Strategy) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	v, d, ok := jwtcheck.Authenticate(r, sofar, s.source, s.cache, s.verifier, s.verify)
	if !ok {
		return d
	}
	if s.cache == nil {
		// v is this request's alone: without a cache nothing else holds it.
		return tokenbind.Bind(sofar, &v.sa, authn.User{}, &v.cred, "ServiceAccount token verified")
	}
	// Deep copies per request, so that no Principal can change the cached
	// value another request will get.
	actor, cred := tokenbind.PerRequest(&v.sa, &v.cred)
	return tokenbind.Bind(sofar, actor, authn.User{}, cred, "ServiceAccount token verified")
}

// verifiedJWT is what a verified token proves, and the key and algorithm
// that proved it. Cached values are shared: never modify one.
type verifiedJWT struct {
	sa      authn.ServiceAccount
	cred    authn.Credential
	signing jwtcheck.Signed
}

func (v *verifiedJWT) Signing() jwtcheck.Signed { return v.signing }
func (v *verifiedJWT) Expiry() time.Time        { return v.cred.ExpiresAt }

// verify checks token and returns what it proves; ok is false when d is
// the decision to return. Decisions never quote the token or any part of
// it.
func (s *Strategy) verify(ctx context.Context, token string) (*verifiedJWT, authn.Decision, bool) {
	var claims serviceAccountClaims
	signing, d, ok := s.verifier.Signature(ctx, token, &claims)
	if !ok {
		return nil, d, false
	}
	// Only now are the claims the issuer's.
	legacy := claims.Issuer != s.issuer
	validator := s.boundTimes
	if legacy {
		validator = s.legacyTimes
	}
	if err := validator.Validate(&claims); err != nil {
		return nil, authn.Reject(jwtcheck.TimeProblem(err)), false
	}
	var v *verifiedJWT
	if legacy {
		v, d = legacyIdentity(&claims)
	} else {
		v, d = s.boundIdentity(&claims)
	}
	if v == nil {
		return nil, d, false
	}
	if s.claimsCheck != nil {
		if d, ok := s.verifier.CheckClaims(signing, s.claimsCheck); !ok {
			return nil, d, false
		}
	}
	v.signing = signing
	return v, d, true
}

// boundIdentity checks the claims of a verified bound token and returns its
// identity.
func (s *Strategy) boundIdentity(c *serviceAccountClaims) (*verifiedJWT, authn.Decision) {
	if len(c.Audience) == 0 {
		return nil, authn.Reject("token has no audience")
	}
	accepted := jwtcheck.AcceptedAudiences(c.Audience, s.audiences)
	if len(accepted) == 0 {
		return nil, authn.Reject("token audience not accepted")
	}
	k := c.Kubernetes
	if k == nil || k.Namespace == "" || k.ServiceAccount == nil ||
		k.ServiceAccount.Name == "" || k.ServiceAccount.UID == "" {
		return nil, authn.Reject("token lacks its kubernetes.io ServiceAccount claims")
	}
	if !k.Pod.valid() || !k.Node.valid() || !k.Secret.valid() {
		return nil, authn.Reject(boundkind.ReasonIncomplete)
	}
	bindings, reason := s.bindings(k)
	if reason != "" {
		return nil, authn.Reject(reason)
	}
	sa, reason := subjectMatches(c.Subject, k.Namespace, k.ServiceAccount.Name)
	if reason != "" {
		return nil, authn.Reject(reason)
	}
	sa.UID = k.ServiceAccount.UID
	cred := authn.Credential{
		Type:      "jwt",
		Issuer:    c.Issuer,
		Audiences: accepted,
		ExpiresAt: c.ExpiresAt.UTC(),
		Pod:       k.Pod.boundObject(),
		Node:      k.Node.boundObject(),
		Bindings:  bindings,
	}
	if c.ID != "" {
		cred.ID = "JTI=" + c.ID
	}
	return &verifiedJWT{sa: sa, cred: cred}, authn.Decision{}
}

// bindings returns the Credential's Bindings for the bound objects of kinds
// the strategy does not check itself, or the reason to refuse the token.
func (s *Strategy) bindings(k *kubernetesClaims) ([]authn.Binding, string) {
	if len(k.Other) == 0 && len(k.Attestations) == 0 {
		return nil, ""
	}
	objects := make(map[string]authn.BoundObject, len(k.Other))
	for key, raw := range k.Other {
		var o objectClaim
		if !slices.Contains(s.boundKinds, key) {
			return nil, boundkind.ReasonUnchecked
		}
		if json.Unmarshal(raw, &o) != nil {
			return nil, boundkind.ReasonIncomplete
		}
		objects[key] = authn.BoundObject{Name: o.Name, UID: o.UID}
	}
	return boundkind.Bindings(s.boundKinds, objects, k.Attestations)
}

// legacyIdentity checks the claims of a verified legacy token and returns
// its identity.
func legacyIdentity(c *serviceAccountClaims) (*verifiedJWT, authn.Decision) {
	if c.Kubernetes != nil {
		// Kubernetes never binds a legacy token; one that claims a binding
		// is not one this strategy understands.
		return nil, authn.Reject(boundkind.ReasonUnchecked)
	}
	if c.LegacyNamespace == "" || c.LegacySecretName == "" || c.LegacyAccountName == "" || c.LegacyAccountUID == "" {
		return nil, authn.Reject("token lacks its kubernetes.io/serviceaccount claims")
	}
	sa, reason := subjectMatches(c.Subject, c.LegacyNamespace, c.LegacyAccountName)
	if reason != "" {
		return nil, authn.Reject(reason)
	}
	sa.UID = c.LegacyAccountUID
	cred := authn.Credential{Type: "jwt", Issuer: c.Issuer, LegacySecret: c.LegacySecretName}
	if c.ExpiresAt != nil {
		cred.ExpiresAt = c.ExpiresAt.UTC()
	}
	return &verifiedJWT{sa: sa, cred: cred}, authn.Decision{}
}

// subjectMatches parses sub strictly and requires it to name namespace and
// name, as the kubernetes.io claims do.
func subjectMatches(sub, namespace, name string) (authn.ServiceAccount, string) {
	sa, err := authn.ParseServiceAccountSubject(sub)
	switch {
	case err != nil:
		// The parser's errors are constants that never quote the subject.
		return authn.ServiceAccount{}, "token subject: " + err.Error()
	case sa.Namespace != namespace || sa.Name != name:
		return authn.ServiceAccount{}, "token subject does not match its ServiceAccount claims"
	}
	return sa, ""
}
