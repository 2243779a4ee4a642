package assertion

import (
	"fmt"
	"time"
)

// Lifetimes of an assertion. A short one limits what a stolen assertion is
// worth; the audience limits where.
const (
	DefaultLifetime = 2 * time.Minute
	MaxLifetime     = 5 * time.Minute
)

// RetiredKeyRetention is how long KeyRing.Rotate keeps publishing the
// public key it retires: the longest lifetime an assertion it signed can
// have, plus the largest clock skew a verifier accepts.
const RetiredKeyRetention = MaxLifetime + 5*time.Minute

// Option configures NewKeyRing or NewSigner; an option that does not apply
// to the constructor it is given to is an error there.
type Option func(*config)

type config struct {
	now      func() time.Time
	lifetime time.Duration
	// signerOnly names the first option given that only NewSigner takes.
	signerOnly string
	errs       []error
}

func (c *config) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// WithClock sets the clock iat and exp are computed from, and retired keys
// are timed with, for tests. now must not be nil.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now == nil {
			c.errorf("WithClock(nil)")
			return
		}
		c.now = now
	}
}

// WithLifetime sets how long an assertion is valid (exp - iat); the
// default is DefaultLifetime, and d must be more than 0 and at most
// MaxLifetime. Only NewSigner takes it.
func WithLifetime(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 || d > MaxLifetime {
			c.errorf("WithLifetime(%v): want more than 0 and at most %v", d, MaxLifetime)
			return
		}
		c.lifetime = d
		if c.signerOnly == "" {
			c.signerOnly = "WithLifetime"
		}
	}
}

// apply runs opts over the defaults.
func apply(opts []Option) config {
	c := config{now: time.Now, lifetime: DefaultLifetime}
	for i, opt := range opts {
		if opt == nil {
			c.errorf("option %d is nil", i)
			continue
		}
		opt(&c)
	}
	return c
}
