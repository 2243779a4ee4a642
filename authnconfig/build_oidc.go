package authnconfig

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/oidc"
)

// This file builds the oidc strategy, which verifies ID tokens.

func (b *builder) oidc(p *field.Path, o *OIDC) authn.Strategy {
	src, ok := b.source(p.Child("tokenSource"), o.TokenSource)
	if !ok {
		return nil
	}
	keys := b.keys(p, o.Issuer, o.Discovery, o.JWKSURL, o.JWKSFile)
	if keys == nil {
		return nil
	}
	opts := []oidc.Option{oidc.WithAudiences(o.Audiences...), oidc.WithTokenSource(src)}
	if len(o.Algorithms) > 0 {
		opts = append(opts, oidc.WithAlgorithms(o.Algorithms...))
	}
	if o.ClockSkew != nil {
		opts = append(opts, oidc.WithClockSkew(o.ClockSkew.Duration))
	}
	if c := o.Cache; c != nil && c.Size != nil {
		opts = append(opts, oidc.WithCacheSize(*c.Size))
	}
	if c := o.Cache; c != nil && c.TTL != nil {
		opts = append(opts, oidc.WithCacheTTL(c.TTL.Duration))
	}
	if len(o.ClaimValidationRules) > 0 {
		rules, errs := compileRules(p.Child("claimValidationRules"), claimsVariable, o.ClaimValidationRules)
		if len(errs) > 0 {
			b.errs = append(b.errs, errs...)
			return nil
		}
		opts = append(opts, oidc.WithClaimsCheck(claimsCheck(rules)))
	}
	mapUser, errs := compileMappings(p.Child("claimMappings"), o.ClaimMappings)
	errs = append(errs, emailVerifiedRequired(p, o)...)
	if len(errs) > 0 {
		b.errs = append(b.errs, errs...)
		return nil
	}
	if mapUser != nil {
		opts = append(opts, oidc.WithClaimsMapper(mapUser))
	}
	if b.deps.Now != nil {
		opts = append(opts, oidc.WithClock(b.deps.Now))
	}
	name := o.Name
	if name == "" {
		name = (*oidc.Strategy)(nil).Name()
	}
	if obs := b.cacheObserver(name); obs != nil {
		opts = append(opts, oidc.WithCacheObserver(obs))
	}
	return b.built(p, o.Name)(oidc.New(o.Issuer, keys, opts...))
}
