package authnconfig

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/authchain/authchain/assertion/verify"
	"github.com/authchain/authchain/authn"
)

// This file builds the assertion strategy, which believes another
// service's signed assertions.

func (b *builder) assertion(p *field.Path, a *Assertion) authn.Strategy {
	keys := b.keys(p, a.Issuer, a.Discovery, a.JWKSURL, a.JWKSFile)
	if keys == nil {
		return nil
	}
	opts := []verify.Option{verify.WithAudiences(a.Audiences...)}
	if len(a.Algorithms) > 0 {
		opts = append(opts, verify.WithAlgorithms(a.Algorithms...))
	}
	if a.ClockSkew != nil {
		opts = append(opts, verify.WithClockSkew(a.ClockSkew.Duration))
	}
	if a.ReplayCacheSize != nil {
		opts = append(opts, verify.WithReplayCache(*a.ReplayCacheSize))
	}
	if b.deps.Now != nil {
		opts = append(opts, verify.WithClock(b.deps.Now))
	}
	return b.built(p, a.Name)(verify.New(a.Issuer, keys, opts...))
}
