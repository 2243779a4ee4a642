package authnconfig

import (
	"context"

	"k8s.io/apimachinery/pkg/util/validation/field"
	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/internal/nilcheck"
)

// This file builds the bearer-token strategies: jwt, with its key set, and
// tokenReview.

// source returns the token source a token strategy reads.
func (b *builder) source(p *field.Path, name string) (bearer.Source, bool) {
	if name != TokenFromForwardedAccessToken {
		return bearer.FromAuthorization(), true
	}
	if b.trust == nil {
		return bearer.Source{}, false // reported with the trust policy
	}
	src, err := bearer.AlsoFromForwardedAccessToken(b.trust)
	if err != nil {
		b.fail(p, err)
		return bearer.Source{}, false
	}
	return src, true
}

func (b *builder) jwt(p *field.Path, j *JWT) authn.Strategy {
	src, ok := b.source(p.Child("tokenSource"), j.TokenSource)
	if !ok {
		return nil
	}
	keys := b.keys(p, j.Issuer, j.Discovery, j.JWKSURL, j.JWKSFile)
	if keys == nil {
		return nil
	}
	opts := []jwt.Option{jwt.WithAudiences(j.Audiences...), jwt.WithTokenSource(src)}
	if len(j.Algorithms) > 0 {
		opts = append(opts, jwt.WithAlgorithms(j.Algorithms...))
	}
	if len(j.BoundObjectKinds) > 0 {
		opts = append(opts, jwt.WithBoundObjectKinds(j.BoundObjectKinds...))
	}
	if j.ClockSkew != nil {
		opts = append(opts, jwt.WithClockSkew(j.ClockSkew.Duration))
	}
	if c := j.Cache; c != nil && c.Size != nil {
		opts = append(opts, jwt.WithCacheSize(*c.Size))
	}
	if c := j.Cache; c != nil && c.TTL != nil {
		opts = append(opts, jwt.WithCacheTTL(c.TTL.Duration))
	}
	if j.InsecureAcceptLegacySecretTokens {
		opts = append(opts, jwt.InsecureAcceptLegacySecretTokens())
	}
	if len(j.ClaimValidationRules) > 0 {
		rules, errs := compileRules(p.Child("claimValidationRules"), claimsVariable, j.ClaimValidationRules)
		if len(errs) > 0 {
			b.errs = append(b.errs, errs...)
			return nil
		}
		opts = append(opts, jwt.WithClaimsCheck(claimsCheck(rules)))
	}
	if b.deps.Now != nil {
		opts = append(opts, jwt.WithClock(b.deps.Now))
	}
	name := j.Name
	if name == "" {
		name = (*jwt.Strategy)(nil).Name()
	}
	if o := b.cacheObserver(name); o != nil {
		opts = append(opts, jwt.WithCacheObserver(o))
	}
	return b.built(p, j.Name)(jwt.ServiceAccount(j.Issuer, keys, opts...))
}

// keys returns the key set of a jwt, oidc or assertion strategy: a static
// one read from its file, the one at its JWKS URL, or the issuer's by
// discovery.
func (b *builder) keys(p *field.Path, issuer string, d *Discovery, jwksURL, jwksFile string) jwks.KeySet {
	if d == nil {
		return b.fixedKeys(p, jwksURL, jwksFile)
	}
	var opts []jwks.Option
	if len(d.Origins) > 0 {
		opts = append(opts, jwks.WithOrigins(d.Origins...))
	}
	if d.RefreshInterval != nil {
		opts = append(opts, jwks.WithRefreshInterval(d.RefreshInterval.Duration))
	}
	if d.MinRefreshInterval != nil {
		opts = append(opts, jwks.WithMinRefreshInterval(d.MinRefreshInterval.Duration))
	}
	if d.MaxStaleness != nil {
		opts = append(opts, jwks.WithMaxStaleness(d.MaxStaleness.Duration))
	}
	keys, err := jwks.OIDC(b.keySetContext(), issuer, b.keySetOptions(opts)...)
	if err != nil {
		b.fail(p.Child("discovery"), err)
		return nil
	}
	return b.started(keys)
}

// fixedKeys returns the key set read from jwksFile, or the one at jwksURL
// kept current (jwks.URL); exactly one is set.
func (b *builder) fixedKeys(p *field.Path, jwksURL, jwksFile string) jwks.KeySet {
	if jwksFile != "" {
		fp := p.Child("jwksFile")
		keys, err := jwks.Static(b.cfg.files[fp.String()].data)
		if err != nil {
			b.fail(fp, err)
			return nil
		}
		return keys
	}
	keys, err := jwks.URL(b.keySetContext(), jwksURL, b.keySetOptions(nil)...)
	if err != nil {
		b.fail(p.Child("jwksURL"), err)
		return nil
	}
	return b.started(keys)
}

// keySetOptions adds Deps.HTTPClient and Deps.Now to opts.
func (b *builder) keySetOptions(opts []jwks.Option) []jwks.Option {
	if b.deps.HTTPClient != nil {
		opts = append(opts, jwks.WithHTTPClient(b.deps.HTTPClient))
	}
	if b.deps.Now != nil {
		opts = append(opts, jwks.WithClock(b.deps.Now))
	}
	return opts
}

// keySetContext is Build's context, or, in a dry build, one ended at once:
// a key set that fetches nothing.
func (b *builder) keySetContext() context.Context {
	if !b.dry {
		return b.ctx
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// started records a refreshing key set for Close, Synced and KeySets.
func (b *builder) started(keys *jwks.OIDCKeys) *jwks.OIDCKeys {
	b.closers = append(b.closers, keys.Close)
	b.synced = append(b.synced, keys.Synced)
	b.keySets = append(b.keySets, keys)
	return keys
}

// cacheObserver asks Deps.TokenCacheObserver for the observer of the
// token cache of the strategy named name; a dry build observes nothing.
func (b *builder) cacheObserver(name string) bearer.CacheObserver {
	if b.dry || b.deps.TokenCacheObserver == nil {
		return nil
	}
	o := b.deps.TokenCacheObserver(name)
	if nilcheck.IsNil(o) {
		return nil
	}
	return o
}

func (b *builder) tokenReview(p *field.Path, t *TokenReview) authn.Strategy {
	src, ok := b.source(p.Child("tokenSource"), t.TokenSource)
	if !ok {
		return nil
	}
	var client authenticationv1client.TokenReviewInterface = unusedReviews{}
	if !b.dry {
		if b.deps.Kubernetes == nil {
			b.errs = append(b.errs, field.Required(p, "Build needs Deps.Kubernetes to send TokenReviews"))
			return nil
		}
		client = b.deps.Kubernetes.AuthenticationV1().TokenReviews()
	}
	opts := []tokenreview.Option{tokenreview.WithAudiences(t.Audiences...), tokenreview.WithTokenSource(src)}
	if len(t.BoundObjectKinds) > 0 {
		opts = append(opts, tokenreview.WithBoundObjectKinds(t.BoundObjectKinds...))
	}
	if l := t.Limits; l != nil {
		if l.Rate != nil && l.Burst != nil {
			opts = append(opts, tokenreview.WithRateLimit(*l.Rate, *l.Burst))
		}
		if l.MaxInFlight != nil {
			opts = append(opts, tokenreview.WithMaxInFlight(*l.MaxInFlight))
		}
		if l.Timeout != nil {
			opts = append(opts, tokenreview.WithTimeout(l.Timeout.Duration))
		}
	}
	if c := t.Cache; c != nil {
		if c.SuccessSize != nil && c.FailureSize != nil {
			opts = append(opts, tokenreview.WithCacheSize(*c.SuccessSize, *c.FailureSize))
		}
		if c.SuccessTTL != nil && c.FailureTTL != nil {
			opts = append(opts, tokenreview.WithCacheTTL(c.SuccessTTL.Duration, c.FailureTTL.Duration))
		}
	}
	if t.InsecureOpaqueTokens {
		opts = append(opts, tokenreview.InsecureOpaqueTokens())
	}
	if b.deps.Now != nil {
		opts = append(opts, tokenreview.WithClock(b.deps.Now))
	}
	if o := b.cacheObserver((*tokenreview.Strategy)(nil).Name()); o != nil {
		opts = append(opts, tokenreview.WithCacheObserver(o))
	}
	if b.deps.TokenReviewCallObserver != nil {
		opts = append(opts, tokenreview.WithCallObserver(b.deps.TokenReviewCallObserver))
	}
	return b.built(p, "")(tokenreview.New(client, opts...))
}

// unusedReviews stands in for the TokenReview client of a dry build, which
// never authenticates a request.
type unusedReviews struct {
	authenticationv1client.TokenReviewInterface
}
