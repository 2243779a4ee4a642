package jwtcheck

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
)

// Verified is what a verification proves and caches: the signing, which
// every cache hit checks again, and the token's expiry.
type Verified interface {
	Signing() Signed
	Expiry() time.Time
}

// VerifyFunc verifies a token; ok is false when d is the decision to
// return.
type VerifyFunc[V Verified] func(ctx context.Context, token string) (v V, d authn.Decision, ok bool)

// RejectionTTL is how long a rejection is remembered when its reason cannot
// change for the same token bytes (a bad signature, a wrong audience, a
// claim refused): a client repeating a bad token then costs no signature
// check. Rejections for an unknown kid, or a time not reached yet, are not
// remembered: the key set may catch up, and the time will come.
const RejectionTTL = 10 * time.Second

// rejectionCacheSize bounds the remembered rejections, apart from the
// verified tokens, so that bad tokens never evict good ones.
const rejectionCacheSize = 1024

// transient reports whether a rejection may not hold for long.
func transient(reason string) bool {
	return reason == ReasonUnknownKey || reason == ReasonNotYetValid || reason == ReasonIssuedInFuture
}

// NewCache returns the cache of verified tokens o configures in front of
// verify, or nil when o turns it off. See RejectionTTL for what of the
// rejections it keeps.
func NewCache[V Verified](o *Options, verify VerifyFunc[V]) (*bearer.Cache[V], error) {
	if o.CacheTTL <= 0 {
		return nil, nil
	}
	opts := []bearer.CacheOption{
		bearer.WithSize(o.CacheSize, rejectionCacheSize),
		bearer.WithTTL(o.CacheTTL, RejectionTTL),
		bearer.WithTimeout(verifyTimeout),
		bearer.WithClock(o.Now),
	}
	if o.Observer != nil {
		opts = append(opts, bearer.WithObserver(o.Observer))
	}
	return bearer.NewCache(func(ctx context.Context, token string, _ []string) (bearer.Verdict[V], error) {
		v, d, ok := verify(ctx, token)
		switch {
		case ok:
			return bearer.Verdict[V]{Value: v, ExpiresAt: v.Expiry()}, nil
		case d.Outcome == authn.Rejected && !transient(d.Reason):
			return bearer.Verdict[V]{Invalid: d.Reason}, nil
		}
		return bearer.Verdict[V]{}, &decisionError{d}
	}, opts...)
}

// Cached is verify through cache: a cached token is good only while the
// key set still gives the key that signed it (see Verifier.Recheck).
func Cached[V Verified](ctx context.Context, cache *bearer.Cache[V], keys *Verifier, token string) (v V, d authn.Decision, ok bool) {
	verdict, err := cache.Get(ctx, token, nil)
	if err != nil {
		var de *decisionError
		switch {
		case errors.As(err, &de):
			return v, de.d, false
		case ctx.Err() != nil:
			return v, authn.Fail("request ended before the token was verified", err), false
		}
		return v, authn.Fail("token verification did not finish", err), false
	}
	if verdict.Invalid != "" {
		return v, authn.Reject(verdict.Invalid), false
	}
	if d, ok := keys.Recheck(ctx, verdict.Value.Signing()); !ok {
		return v, d, false
	}
	return verdict.Value, authn.Decision{}, true
}

// decisionError carries through the cache a decision that must not be
// cached: a token that is not the strategy's (another issuer's), or keys
// unavailable. The cache never stores errors.
type decisionError struct{ d authn.Decision }

func (e *decisionError) Error() string { return e.d.Reason }
func (e *decisionError) Unwrap() error { return e.d.Cause }

// Is makes a token that is not the strategy's match
// bearer.ErrNotApplicable, so that the cache's observer does not count it
// as a failed verification.
func (e *decisionError) Is(target error) bool {
	return target == bearer.ErrNotApplicable && e.d.Outcome == authn.NotApplicable
}

// Authenticate is how both strategies start: it reads the request's token
// from src (see bearer.Source.Presented), skips one that is not a JWT
// without allocating, and verifies it through cache, or with verify when
// cache is nil. ok is false when d is the decision to return.
func Authenticate[V Verified](r *http.Request, sofar authn.Principal, src bearer.Source, cache *bearer.Cache[V], keys *Verifier, verify VerifyFunc[V]) (v V, d authn.Decision, ok bool) {
	if cache == nil {
		token, d, ok := src.Presented(r, sofar)
		switch {
		case !ok:
			return v, d, false
		case strings.Count(token, ".") != 2:
			// Opaque tokens, told apart without allocating.
			return v, authn.Skip("not a JWT"), false
		}
		return verify(r.Context(), token)
	}
	// A token with a cached verdict passed the syntax check when it was
	// stored; the cache checks any other (bearer.Source.PresentedForCache).
	token, d, ok := src.PresentedForCache(r, sofar)
	switch {
	case !ok:
		return v, d, false
	case strings.Count(token, ".") != 2:
		// Not for the cache: checked here, so a malformed token is
		// refused rather than skipped.
		if _, d, ok := src.Presented(r, sofar); !ok {
			return v, d, false
		}
		return v, authn.Skip("not a JWT"), false
	}
	return Cached(r.Context(), cache, keys, token)
}
