package authnconfig

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/signed"
)

// This file builds the strategies that believe an identity-aware proxy's
// signed assertion: pomerium, iap, alb and teleport.

func (b *builder) pomerium(p *field.Path, c *Pomerium) authn.Strategy {
	keys := b.fixedKeys(p, c.JWKSURL, c.JWKSFile)
	if keys == nil {
		return nil
	}
	opts := b.signedOptions()
	if len(c.Issuers) > 0 {
		opts = append(opts, signed.WithIssuers(c.Issuers...))
	}
	if c.UserClaim != "" {
		opts = append(opts, signed.WithUserClaim(c.UserClaim))
	}
	if c.GroupsPrefix != "" {
		opts = append(opts, signed.WithGroupsPrefix(c.GroupsPrefix))
	}
	return b.built(p, c.Name)(signed.Pomerium(keys, c.Route, opts...))
}

func (b *builder) iap(p *field.Path, c *IAP) authn.Strategy {
	jwksURL := c.JWKSURL
	if jwksURL == "" && c.JWKSFile == "" {
		jwksURL = signed.IAPKeysURL
	}
	keys := b.fixedKeys(p, jwksURL, c.JWKSFile)
	if keys == nil {
		return nil
	}
	return b.built(p, c.Name)(signed.IAP(keys, c.Audience, b.signedOptions()...))
}

func (b *builder) alb(p *field.Path, c *ALB) authn.Strategy {
	var keyOpts []signed.ALBKeysOption
	if b.deps.HTTPClient != nil {
		keyOpts = append(keyOpts, signed.WithALBHTTPClient(b.deps.HTTPClient))
	}
	keys, err := signed.ALBKeys(c.Region, keyOpts...)
	if err != nil {
		b.fail(p.Child("region"), err)
		return nil
	}
	target := signed.ALBTarget{LoadBalancerARN: c.LoadBalancerARN, Issuer: c.Issuer, ClientID: c.ClientID}
	return b.built(p, c.Name)(signed.ALB(keys, target, b.signedOptions()...))
}

func (b *builder) teleport(p *field.Path, c *Teleport) authn.Strategy {
	keys := b.fixedKeys(p, c.JWKSURL, c.JWKSFile)
	if keys == nil {
		return nil
	}
	opts := b.signedOptions()
	if c.GroupsPrefix != "" {
		opts = append(opts, signed.WithGroupsPrefix(c.GroupsPrefix))
	}
	if len(c.Traits) > 0 {
		opts = append(opts, signed.WithTraits(c.Traits...))
	}
	return b.built(p, c.Name)(signed.Teleport(keys, c.Cluster, c.AppURI, opts...))
}

// signedOptions are the options every vendor takes from Deps.
func (b *builder) signedOptions() []signed.Option {
	if b.deps.Now != nil {
		return []signed.Option{signed.WithClock(b.deps.Now)}
	}
	return nil
}
