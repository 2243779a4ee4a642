package strategies

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// This file holds the cache every strategy that verifies bearer tokens
// against something slow (the API server, a key set) puts in front of the
// verification: tokenreview.go uses it, and jwt.go may.
//
// Use:
//
//	c, err := newTokenCache(tokenCacheConfig{size: 10_000, successTTL: 2 * time.Minute,
//		failureTTL: 10 * time.Second, timeout: 5 * time.Second, now: time.Now}, verify)
//	...
//	v, err := c.get(r.Context(), token, audiences)
//	switch {
//	case err != nil:      // verify failed (not cached), or ctx ended first: authn.Fail
//	case v.invalid != "": // the token is invalid: authn.Reject(v.invalid)
//	default:              // v.value is what verify returned for the token
//	}

// tokenCacheConfig configures newTokenCache. Validate values in the
// strategy's options; newTokenCache only refuses what it cannot run with.
type tokenCacheConfig struct {
	// size bounds the number of valid verdicts; the least recently used
	// is evicted first. It must be at least 1.
	size int
	// failureSize bounds the number of invalid verdicts, kept apart so
	// that a flood of bad tokens never evicts a valid verdict. It must be
	// at least 1 when failureTTL is positive.
	failureSize int
	// successTTL bounds how long a valid token's verdict is reused; it is
	// cut further to the token's expiry. 0 disables caching successes.
	successTTL time.Duration
	// failureTTL is how long an invalid token's verdict is reused. 0
	// disables caching failures.
	failureTTL time.Duration
	// timeout bounds each verification call. It must be positive.
	timeout time.Duration
	// admit, if not nil, is asked about a token on a miss, before any
	// verification: a reason it returns is the verdict, neither verified
	// nor cached. It is for cheap checks that tell a token verify could
	// only refuse, and costs hits nothing.
	admit func(token string) string
	// now is the clock for the TTLs; nil means time.Now.
	now func() time.Time
}

// tokenVerdict is the outcome of verifying one token for one list of
// audiences. Exactly one of a valid and an invalid verdict: invalid == ""
// means valid.
type tokenVerdict[V any] struct {
	// value is what verify extracted from a valid token.
	value V
	// expiresAt, if not zero, is when a valid token stops being valid; the
	// verdict is not reused past it. It may come from an unverified claim:
	// it can only shorten the TTL, never lengthen it.
	expiresAt time.Time
	// invalid is the reason a token is invalid, fit for authn.Reject. It
	// is cached, so it must be fixed text: never the token, never text
	// the token's verifier echoed back.
	invalid string
}

// tokenVerifyFunc verifies token for audiences. It returns a verdict
// (valid or invalid, both cached) or an error for an infrastructure
// problem, which is never cached. Its answer must depend only on token
// and audiences, since concurrent callers share one call. ctx is detached
// from every caller's cancellation and bounded by the cache's timeout.
type tokenVerifyFunc[V any] func(ctx context.Context, token string, audiences []string) (tokenVerdict[V], error)

// tokenCacheKey is an HMAC-SHA256 of a token and its audiences.
type tokenCacheKey [sha256.Size]byte

// tokenCacheEntry is a verdict and the absolute time it may be used until;
// a hit never moves the deadline.
type tokenCacheEntry[V any] struct {
	verdict  tokenVerdict[V]
	deadline time.Time
}

// tokenCache caches token verdicts. It is safe for concurrent use.
//
// Its guarantees:
//   - it never holds a token: entries are keyed by HMAC-SHA256 under a
//     random key drawn at construction and never written anywhere, so a
//     memory dump cannot be matched against a known token offline; the
//     pooled MAC state is wiped after every use, so no piece of a token
//     outlives the call that keyed it;
//   - valid and invalid verdicts live in two LRUs of their own sizes, so
//     no number of invalid tokens can evict a valid verdict; a token that
//     admit refuses is neither verified nor stored;
//   - a valid token's verdict is reused until min(successTTL, expiresAt),
//     an invalid token's for failureTTL, each fixed when the verdict is
//     stored and checked on every hit; errors are not cached;
//   - concurrent misses for the same token and audiences share one
//     verification, run with a context that none of the callers can
//     cancel and that ends after timeout; a caller whose own context ends
//     first returns its error without disturbing the others, and no caller
//     waits longer than timeout, even for a verifier that ignores its
//     context.
type tokenCache[V any] struct {
	valid *lru.Cache[tokenCacheKey, tokenCacheEntry[V]]
	// invalid is nil when failures are not cached.
	invalid    *lru.Cache[tokenCacheKey, tokenCacheEntry[V]]
	macs       sync.Pool // of *tokenMAC, all under the same random key
	flights    singleflight.Group
	verify     tokenVerifyFunc[V]
	admit      func(token string) string
	successTTL time.Duration
	failureTTL time.Duration
	timeout    time.Duration
	now        func() time.Time
}

// newTokenCache returns an empty cache in front of verify.
func newTokenCache[V any](cfg tokenCacheConfig, verify tokenVerifyFunc[V]) (*tokenCache[V], error) {
	switch {
	case verify == nil:
		return nil, errors.New("token cache: verify is nil")
	case cfg.size < 1:
		return nil, fmt.Errorf("token cache: size %d must be at least 1", cfg.size)
	case cfg.failureTTL > 0 && cfg.failureSize < 1:
		return nil, fmt.Errorf("token cache: failure size %d must be at least 1", cfg.failureSize)
	case cfg.successTTL < 0 || cfg.failureTTL < 0:
		return nil, errors.New("token cache: TTLs must not be negative")
	case cfg.timeout <= 0:
		return nil, errors.New("token cache: timeout must be positive")
	}
	valid, err := lru.New[tokenCacheKey, tokenCacheEntry[V]](cfg.size)
	if err != nil {
		return nil, fmt.Errorf("token cache: %w", err)
	}
	var invalid *lru.Cache[tokenCacheKey, tokenCacheEntry[V]]
	if cfg.failureTTL > 0 {
		if invalid, err = lru.New[tokenCacheKey, tokenCacheEntry[V]](cfg.failureSize); err != nil {
			return nil, fmt.Errorf("token cache: %w", err)
		}
	}
	key := make([]byte, sha256.Size)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("token cache: drawing the key: %w", err)
	}
	states, err := newMACStates(key)
	clear(key)
	if err != nil {
		return nil, fmt.Errorf("token cache: %w", err)
	}
	now := cfg.now
	if now == nil {
		now = time.Now
	}
	c := &tokenCache[V]{
		valid:      valid,
		invalid:    invalid,
		verify:     verify,
		admit:      cfg.admit,
		successTTL: cfg.successTTL,
		failureTTL: cfg.failureTTL,
		timeout:    cfg.timeout,
		now:        now,
	}
	c.macs.New = func() any { return newTokenMAC(states) }
	return c, nil
}

// get returns the verdict for token and audiences, from the cache or from
// one verification shared with every concurrent caller asking the same. The
// error is verify's (not cached), ctx's when it ends before the shared
// verification does, or wraps context.DeadlineExceeded when the wait
// outlasts the timeout. Audiences are hashed in the order given, so callers
// should pass them in a fixed order.
func (c *tokenCache[V]) get(ctx context.Context, token string, audiences []string) (tokenVerdict[V], error) {
	key := c.key(token, audiences)
	if v, ok := c.lookup(key); ok {
		return v, nil
	}
	if c.admit != nil {
		if reason := c.admit(token); reason != "" {
			return tokenVerdict[V]{invalid: reason}, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return tokenVerdict[V]{}, err
	}
	return c.miss(ctx, key, token, audiences)
}

// miss joins or starts the verification for key and waits for it or for
// ctx. It is apart from get so that the hit path does not pay for the
// closure's captures.
func (c *tokenCache[V]) miss(ctx context.Context, key tokenCacheKey, token string, audiences []string) (tokenVerdict[V], error) {
	// Detached: the first caller's cancellation must not fail the callers
	// who joined it. Values (tracing, logging) are kept.
	detached := context.WithoutCancel(ctx)
	ch := c.flights.DoChan(string(key[:]), func() (any, error) {
		return c.fill(detached, key, token, audiences)
	})
	// The flight's own context ends after timeout, but a verifier that
	// ignores its context must not hold requests beyond it either.
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	select {
	case res := <-ch:
		if res.Err != nil {
			return tokenVerdict[V]{}, res.Err
		}
		return res.Val.(tokenVerdict[V]), nil
	case <-ctx.Done():
		return tokenVerdict[V]{}, ctx.Err()
	case <-timer.C:
		return tokenVerdict[V]{}, fmt.Errorf("token verification: no answer within %v: %w", c.timeout, context.DeadlineExceeded)
	}
}

// fill runs one shared verification and stores its verdict.
func (c *tokenCache[V]) fill(ctx context.Context, key tokenCacheKey, token string, audiences []string) (v tokenVerdict[V], err error) {
	// A caller may have missed just before the previous flight stored its
	// verdict; it must not cause a second verification.
	if v, ok := c.lookup(key); ok {
		return v, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	defer func() {
		// DoChan re-panics on a goroutine of its own, which would end the
		// process; a broken verifier must cost one request, not the server.
		if r := recover(); r != nil {
			// The type only: the value may quote the token.
			v, err = tokenVerdict[V]{}, fmt.Errorf("token verification panicked (%T)", r)
		}
	}()
	v, err = c.verify(ctx, token, audiences)
	if err != nil {
		return tokenVerdict[V]{}, err
	}
	c.store(key, v)
	return v, nil
}

// store keeps v under key in the LRU of its kind, and drops an outdated
// verdict of the other kind, if it allows.
func (c *tokenCache[V]) store(key tokenCacheKey, v tokenVerdict[V]) {
	deadline, ok := c.deadline(c.now(), v)
	if !ok {
		return
	}
	entry := tokenCacheEntry[V]{verdict: v, deadline: deadline}
	if v.invalid == "" {
		c.valid.Add(key, entry)
		if c.invalid != nil {
			c.invalid.Remove(key)
		}
		return
	}
	c.invalid.Add(key, entry)
	c.valid.Remove(key)
}

// lookup returns a stored verdict whose deadline has not passed.
func (c *tokenCache[V]) lookup(key tokenCacheKey) (tokenVerdict[V], bool) {
	now := c.now()
	if e, ok := c.valid.Get(key); ok && now.Before(e.deadline) {
		return e.verdict, true
	}
	if c.invalid == nil {
		return tokenVerdict[V]{}, false
	}
	if e, ok := c.invalid.Get(key); ok && now.Before(e.deadline) {
		return e.verdict, true
	}
	return tokenVerdict[V]{}, false
}

// deadline returns until when v may be reused, counted from now, and false
// if it must not be stored at all.
func (c *tokenCache[V]) deadline(now time.Time, v tokenVerdict[V]) (time.Time, bool) {
	ttl := c.successTTL
	if v.invalid != "" {
		ttl = c.failureTTL
	}
	if ttl <= 0 {
		return time.Time{}, false
	}
	d := now.Add(ttl)
	if v.invalid == "" && !v.expiresAt.IsZero() && v.expiresAt.Before(d) {
		d = v.expiresAt
	}
	return d, now.Before(d)
}

// key returns the HMAC of token and audiences; see tokenMAC.key.
func (c *tokenCache[V]) key(token string, audiences []string) tokenCacheKey {
	m := c.macs.Get().(*tokenMAC)
	key := m.key(token, audiences)
	c.macs.Put(m)
	return key
}
