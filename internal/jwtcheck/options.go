// Package jwtcheck holds what the strategies that verify signed JWTs
// locally (authn/bearer/jwt for ServiceAccount tokens, authn/bearer/oidc for
// ID tokens) share: their common settings, the signature check that routes
// a token by its issuer, the time checks, and the cache in front of them.
// Each strategy reads its own claims; nothing here reads an identity.
package jwtcheck

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/nilcheck"
)

// Clock skew allowed when checking exp, nbf and iat.
const (
	DefaultClockSkew = 30 * time.Second
	MaxClockSkew     = 5 * time.Minute
)

const (
	// DefaultCacheTTL is longer than TokenReview's because a verified
	// token can change only with time, which every hit checks against exp,
	// and with the key set, which every hit consults again.
	DefaultCacheTTL  = 5 * time.Minute
	DefaultCacheSize = 10_000
	// verifyTimeout bounds a cache miss: the key set's own wait for a
	// refresh (5s) and a little more.
	verifyTimeout = jwks.MaxRefreshWait + time.Second
)

// DefaultAlgorithms are the signature algorithms kube-apiserver and
// common external signers use.
func DefaultAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256"}
}

// SupportedAlgorithms may be chosen. Only asymmetric algorithms: a key set
// holds public keys, and a public key must never serve as an HMAC secret.
func SupportedAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
}

// Options are the settings both strategies take; their option functions
// call the setters, which record an error rather than fail, so that a
// constructor reports every bad option at once.
type Options struct {
	Audiences  []string
	Skew       time.Duration
	Algorithms []string
	Source     bearer.Source
	Now        func() time.Time
	CacheTTL   time.Duration
	CacheSize  int
	Observer   bearer.CacheObserver
	// ClaimsCheck judges the verified payload, or is nil.
	ClaimsCheck func(map[string]any) error
	Errs        []error
	// prefix starts every error: "jwt: ServiceAccount: ".
	prefix string
}

// NewOptions returns the defaults; errors start with prefix.
func NewOptions(prefix string) Options {
	return Options{
		Skew:       DefaultClockSkew,
		Algorithms: DefaultAlgorithms(),
		Source:     bearer.FromAuthorization(),
		Now:        time.Now,
		CacheTTL:   DefaultCacheTTL,
		CacheSize:  DefaultCacheSize,
		prefix:     prefix,
	}
}

// Errorf records a configuration error.
func (c *Options) Errorf(format string, args ...any) {
	c.Errs = append(c.Errs, fmt.Errorf(c.prefix+format, args...))
}

// AddAudiences is WithAudiences.
func (c *Options) AddAudiences(aud []string) {
	if len(aud) == 0 {
		c.Errorf("WithAudiences needs at least one audience")
	}
	for _, a := range aud {
		if a == "" {
			c.Errorf("WithAudiences: empty audience")
			continue
		}
		if !slices.Contains(c.Audiences, a) {
			c.Audiences = append(c.Audiences, a)
		}
	}
}

// SetClockSkew is WithClockSkew.
func (c *Options) SetClockSkew(d time.Duration) {
	if d < 0 || d > MaxClockSkew {
		c.Errorf("WithClockSkew(%v): must be between 0 and %v", d, MaxClockSkew)
		return
	}
	c.Skew = d
}

// SetAlgorithms is WithAlgorithms: "none" and the HMAC algorithms are
// refused, since with them anyone holding the public key could sign.
func (c *Options) SetAlgorithms(algs []string) {
	if len(algs) == 0 {
		c.Errorf("WithAlgorithms needs at least one algorithm")
		return
	}
	c.Algorithms = nil
	for _, alg := range algs {
		switch {
		case strings.EqualFold(alg, "none"), strings.HasPrefix(strings.ToUpper(alg), "HS"):
			c.Errorf("WithAlgorithms: %q is refused: a token must be signed with a private key", alg)
		case !slices.Contains(SupportedAlgorithms(), alg):
			c.Errorf("WithAlgorithms: unsupported algorithm %q (supported: %s)", alg, strings.Join(SupportedAlgorithms(), ", "))
		case !slices.Contains(c.Algorithms, alg):
			c.Algorithms = append(c.Algorithms, alg)
		}
	}
}

// SetCacheTTL is WithCacheTTL.
func (c *Options) SetCacheTTL(d time.Duration) {
	if d < 0 {
		c.Errorf("WithCacheTTL(%v): must not be negative", d)
		return
	}
	c.CacheTTL = d
}

// SetCacheSize is WithCacheSize.
func (c *Options) SetCacheSize(n int) {
	if n < 1 {
		c.Errorf("WithCacheSize(%d): must be at least 1", n)
		return
	}
	c.CacheSize = n
}

// SetCacheObserver is WithCacheObserver.
func (c *Options) SetCacheObserver(o bearer.CacheObserver) {
	if nilcheck.IsNil(o) {
		c.Errorf("WithCacheObserver(nil)")
		return
	}
	c.Observer = o
}

// SetClaimsCheck is WithClaimsCheck.
func (c *Options) SetClaimsCheck(check func(map[string]any) error) {
	if check == nil {
		c.Errorf("WithClaimsCheck(nil)")
		return
	}
	c.ClaimsCheck = check
}

// SetClock is WithClock.
func (c *Options) SetClock(now func() time.Time) {
	if now == nil {
		c.Errorf("WithClock(nil)")
		return
	}
	c.Now = now
}

// CheckKeys records an error for a nil key set or one that reports it
// was not built.
func (c *Options) CheckKeys(keys jwks.KeySet) {
	if nilcheck.IsNil(keys) {
		c.Errorf("keys is nil")
	} else if v, ok := keys.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			c.Errorf("keys: %w", err)
		}
	}
}
