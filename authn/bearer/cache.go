package bearer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// This file holds the cache a token strategy puts in front of a slow
// verification (the API server, a key set).

// Defaults of NewCache. Two minutes is kube-apiserver's webhook cache TTL;
// refusals are kept for less, so that a token for a ServiceAccount created
// a moment ago is not refused for long.
const (
	defaultCacheSize        = 10_000
	defaultInvalidCacheSize = 1_000
	defaultValidTTL         = 2 * time.Minute
	defaultInvalidTTL       = 10 * time.Second
	defaultCacheTimeout     = 5 * time.Second
)

// cacheConfig is what the CacheOptions set; newCache refuses what it
// cannot run with.
type cacheConfig struct {
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
	// verification; see WithAdmission.
	admit func(token string) string
	// now is the clock for the TTLs; nil means time.Now.
	now func() time.Time
	// observer, if not nil, is told of requests and verifications; see
	// WithObserver.
	observer CacheObserver
	errs     []error
}

// CacheOption configures NewCache. Options are checked when NewCache
// builds the cache.
type CacheOption func(*cacheConfig)

func (c *cacheConfig) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("bearer: NewCache: "+format, args...))
}

// WithSize bounds the number of cached verdicts: valid for valid tokens
// (default 10,000), invalid for invalid ones (default 1,000). The two are
// kept apart, so no number of bad tokens can evict a good token's verdict;
// in each, the least recently used is evicted first. Both must be at
// least 1.
func WithSize(valid, invalid int) CacheOption {
	return func(c *cacheConfig) {
		if valid < 1 || invalid < 1 {
			c.errorf("WithSize(%d, %d): both must be at least 1", valid, invalid)
			return
		}
		c.size, c.failureSize = valid, invalid
	}
}

// WithTTL sets how long a verdict is reused: valid for a valid token
// (default 2m, cut to the verdict's ExpiresAt), invalid for an invalid one
// (default 10s). 0 disables caching that kind of verdict; neither may be
// negative.
func WithTTL(valid, invalid time.Duration) CacheOption {
	return func(c *cacheConfig) {
		if valid < 0 || invalid < 0 {
			c.errorf("WithTTL(%v, %v): TTLs must not be negative", valid, invalid)
			return
		}
		c.successTTL, c.failureTTL = valid, invalid
	}
}

// WithTimeout bounds each verification, and every caller's wait for it
// (default 5s). d must be positive.
func WithTimeout(d time.Duration) CacheOption {
	return func(c *cacheConfig) {
		if d <= 0 {
			c.errorf("WithTimeout(%v): must be positive", d)
			return
		}
		c.timeout = d
	}
}

// WithAdmission has admit asked about a token on a miss, before any
// verification: a reason it returns is the verdict (Invalid), neither
// verified nor cached. It is for cheap checks that tell a token verify
// could only refuse, and costs hits nothing. admit must not be nil, and
// its reason must never quote the token.
func WithAdmission(admit func(token string) string) CacheOption {
	return func(c *cacheConfig) {
		if admit == nil {
			c.errorf("WithAdmission(nil)")
			return
		}
		c.admit = admit
	}
}

// WithClock sets the clock the TTLs are measured with (default time.Now);
// the timeout always runs on the real clock. now must not be nil.
func WithClock(now func() time.Time) CacheOption {
	return func(c *cacheConfig) {
		if now == nil {
			c.errorf("WithClock(nil)")
			return
		}
		c.now = now
	}
}

// Verdict is the outcome of verifying one token for one list of audiences:
// valid when Invalid is "", invalid otherwise.
type Verdict[V any] struct {
	// Value is what the verification extracted from a valid token. Cached
	// values are shared between requests: never modify one.
	Value V
	// ExpiresAt, if not zero, is when a valid token stops being valid; the
	// verdict is not reused past it. It may come from an unverified claim:
	// it can only shorten the TTL, never lengthen it.
	ExpiresAt time.Time
	// Invalid is the reason a token is invalid, fit for authn.Reject. It
	// is cached, so it must be fixed text: never the token, never text
	// the token's verifier echoed back.
	Invalid string
}

// VerifyFunc verifies token for audiences. It returns a verdict (valid or
// invalid, both cached) or an error for an infrastructure problem, which
// is never cached; an error wrapping ErrNotApplicable says the token is
// not the verifier's business. Its answer must depend only on token and
// audiences, since concurrent callers share one call. ctx is detached from
// every caller's cancellation and bounded by the cache's timeout.
type VerifyFunc[V any] func(ctx context.Context, token string, audiences []string) (Verdict[V], error)

// cacheKey is the keyed MAC of a token and its audiences (see mac.go).
type cacheKey [16]byte

// cacheEntry is a verdict and the absolute time it may be used until;
// a hit never moves the deadline.
type cacheEntry[V any] struct {
	verdict  Verdict[V]
	stored   time.Time
	deadline time.Time
}

// fresh reports whether e may answer at now: before its deadline, and not
// before it was stored. A clock without a monotonic reading (WithClock)
// may step back; an entry then expires rather than live longer.
func (e cacheEntry[V]) fresh(now time.Time) bool {
	return now.Before(e.deadline) && !now.Before(e.stored)
}

// Cache is the token-cache decorator: it sits in front of a token
// strategy's verification and reuses its verdicts. Build it with NewCache;
// it is safe for concurrent use.
//
// Its contract:
//   - it never holds a token: entries are keyed by a 128-bit keyed MAC of
//     the token and audiences (GMAC under one AES-256 key, then AES-256
//     under another: a PRF, as HMAC is), both keys drawn per cache at
//     construction and never written anywhere, so a memory dump without
//     them cannot be matched against a known token (one with them could
//     also be used to craft a token that matches a cached entry until it
//     expires, which an HMAC-SHA256 key would not allow); the pooled MAC
//     state (a copy of the framed token) is wiped after every use, so no
//     piece of a token outlives the call that keyed it;
//   - every verdict it holds is for a token of token68 syntax (RFC 9110,
//     as Source checks it): on a miss, any other token is refused
//     ("bearer token is malformed") before WithAdmission and verify are
//     asked, and nothing is stored, so a hit proves the token passed that
//     check once (Source.PresentedForCache relies on it);
//   - valid and invalid verdicts live in two LRUs of their own sizes, so
//     no number of invalid tokens can evict a valid verdict; a token that
//     WithAdmission refuses is neither verified nor stored;
//   - a valid token's verdict is reused until the sooner of its TTL and
//     its ExpiresAt, an invalid token's for the invalid TTL (by default
//     the shorter one), each fixed when the verdict is stored and checked
//     on every hit; a clock that steps back before an entry was stored
//     expires it; errors are not cached;
//   - concurrent misses for the same token and audiences share one
//     verification, run with a context that none of the callers can
//     cancel and that ends after the timeout (WithTimeout); a caller whose own context ends
//     first returns its error without disturbing the others, and no caller
//     waits longer than the timeout, even for a verifier that ignores its
//     context; a verifier that panics costs its callers an error, not the
//     process;
//   - an observer (WithObserver) learns hits, misses and how verifications
//     ended, never a token or a verdict.
type Cache[V any] struct {
	valid *lru.Cache[cacheKey, cacheEntry[V]]
	// invalid is nil when failures are not cached.
	invalid    *lru.Cache[cacheKey, cacheEntry[V]]
	macs       sync.Pool // of *tokenMAC, all under the same random key
	flights    singleflight.Group
	verify     VerifyFunc[V]
	admit      func(token string) string
	successTTL time.Duration
	failureTTL time.Duration
	timeout    time.Duration
	now        func() time.Time
	// observer is nil unless WithObserver set one.
	observer CacheObserver
}

// NewCache returns an empty cache in front of verify. It returns an error
// if verify is nil or an option is invalid.
func NewCache[V any](verify VerifyFunc[V], opts ...CacheOption) (*Cache[V], error) {
	cfg := cacheConfig{
		size:        defaultCacheSize,
		failureSize: defaultInvalidCacheSize,
		successTTL:  defaultValidTTL,
		failureTTL:  defaultInvalidTTL,
		timeout:     defaultCacheTimeout,
	}
	for i, opt := range opts {
		if opt == nil {
			cfg.errorf("option %d is nil", i)
			continue
		}
		opt(&cfg)
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, err
	}
	return newCache(cfg, verify)
}

// newCache builds the cache of cfg.
func newCache[V any](cfg cacheConfig, verify VerifyFunc[V]) (*Cache[V], error) {
	switch {
	case verify == nil:
		return nil, errors.New("bearer: NewCache: verify is nil")
	case cfg.size < 1:
		return nil, fmt.Errorf("bearer: NewCache: size %d must be at least 1", cfg.size)
	case cfg.failureTTL > 0 && cfg.failureSize < 1:
		return nil, fmt.Errorf("bearer: NewCache: failure size %d must be at least 1", cfg.failureSize)
	case cfg.successTTL < 0 || cfg.failureTTL < 0:
		return nil, errors.New("bearer: NewCache: TTLs must not be negative")
	case cfg.timeout <= 0:
		return nil, errors.New("bearer: NewCache: timeout must be positive")
	}
	valid, err := lru.New[cacheKey, cacheEntry[V]](cfg.size)
	if err != nil {
		return nil, fmt.Errorf("bearer: NewCache: %w", err)
	}
	var invalid *lru.Cache[cacheKey, cacheEntry[V]]
	if cfg.failureTTL > 0 {
		if invalid, err = lru.New[cacheKey, cacheEntry[V]](cfg.failureSize); err != nil {
			return nil, fmt.Errorf("bearer: NewCache: %w", err)
		}
	}
	keys, err := randomMACKeys()
	if err != nil {
		return nil, fmt.Errorf("bearer: NewCache: %w", err)
	}
	now := cfg.now
	if now == nil {
		now = time.Now
	}
	c := &Cache[V]{
		valid:      valid,
		invalid:    invalid,
		verify:     verify,
		admit:      cfg.admit,
		successTTL: cfg.successTTL,
		failureTTL: cfg.failureTTL,
		timeout:    cfg.timeout,
		now:        now,
		observer:   cfg.observer,
	}
	c.macs.New = func() any { return newTokenMAC(keys) }
	return c, nil
}

// Get returns the verdict for token and audiences, from the cache or from
// one verification shared with every concurrent caller asking the same. The
// error is verify's (not cached), ctx's when it ends before the shared
// verification does, or wraps context.DeadlineExceeded when the wait
// outlasts the timeout. Audiences are hashed in the order given, so callers
// should pass them in a fixed order. A token that is not token68 (see
// Source.Token) and has no verdict is Invalid, neither verified nor stored.
func (c *Cache[V]) Get(ctx context.Context, token string, audiences []string) (Verdict[V], error) {
	key := c.key(token, audiences)
	v, ok := c.lookup(key)
	if c.observer != nil {
		c.observer.CacheRequest(ok)
	}
	if ok {
		return v, nil
	}
	if reason := tokenProblem(token); reason != "" {
		return Verdict[V]{Invalid: "bearer token " + reason}, nil
	}
	if c.admit != nil {
		if reason := c.admit(token); reason != "" {
			return Verdict[V]{Invalid: reason}, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return Verdict[V]{}, err
	}
	return c.miss(ctx, key, token, audiences)
}

// miss joins or starts the verification for key and waits for it or for
// ctx. It is apart from Get so that the hit path does not pay for the
// closure's captures.
func (c *Cache[V]) miss(ctx context.Context, key cacheKey, token string, audiences []string) (Verdict[V], error) {
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
			return Verdict[V]{}, res.Err
		}
		return res.Val.(Verdict[V]), nil
	case <-ctx.Done():
		return Verdict[V]{}, ctx.Err()
	case <-timer.C:
		return Verdict[V]{}, fmt.Errorf("token verification: no answer within %v: %w", c.timeout, context.DeadlineExceeded)
	}
}

// fill runs one shared verification and stores its verdict.
func (c *Cache[V]) fill(ctx context.Context, key cacheKey, token string, audiences []string) (v Verdict[V], err error) {
	// A caller may have missed just before the previous flight stored its
	// verdict; it must not cause a second verification.
	if v, ok := c.lookup(key); ok {
		return v, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if c.observer != nil {
		c.observer.FetchStarted()
		// Deferred first, so it runs last and sees the recovered error.
		defer func() { c.observer.FetchDone(err == nil || errors.Is(err, ErrNotApplicable)) }()
	}
	defer func() {
		// DoChan re-panics on a goroutine of its own, which would end the
		// process; a broken verifier must cost one request, not the server.
		if r := recover(); r != nil {
			// The type only: the value may quote the token.
			v, err = Verdict[V]{}, fmt.Errorf("token verification panicked (%T)", r)
		}
	}()
	v, err = c.verify(ctx, token, audiences)
	if err != nil {
		return Verdict[V]{}, err
	}
	c.store(key, v)
	return v, nil
}

// store keeps v under key in the LRU of its kind, and drops an outdated
// verdict of the other kind, if it allows.
func (c *Cache[V]) store(key cacheKey, v Verdict[V]) {
	now := c.now()
	deadline, ok := c.deadline(now, v)
	if !ok {
		if v.Invalid != "" {
			// Not cached, but it supersedes a valid verdict: a token now
			// refused must not be answered valid from an older entry.
			c.valid.Remove(key)
		}
		return
	}
	entry := cacheEntry[V]{verdict: v, stored: now, deadline: deadline}
	if v.Invalid == "" {
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
func (c *Cache[V]) lookup(key cacheKey) (Verdict[V], bool) {
	now := c.now()
	if e, ok := c.valid.Get(key); ok && e.fresh(now) {
		return e.verdict, true
	}
	if c.invalid == nil {
		return Verdict[V]{}, false
	}
	if e, ok := c.invalid.Get(key); ok && e.fresh(now) {
		return e.verdict, true
	}
	return Verdict[V]{}, false
}

// deadline returns until when v may be reused, counted from now, and false
// if it must not be stored at all.
func (c *Cache[V]) deadline(now time.Time, v Verdict[V]) (time.Time, bool) {
	ttl := c.successTTL
	if v.Invalid != "" {
		ttl = c.failureTTL
	}
	if ttl <= 0 {
		return time.Time{}, false
	}
	d := now.Add(ttl)
	if v.Invalid == "" && !v.ExpiresAt.IsZero() && v.ExpiresAt.Before(d) {
		d = v.ExpiresAt
	}
	return d, now.Before(d)
}

// key returns the MAC of token and audiences; see tokenMAC.key.
func (c *Cache[V]) key(token string, audiences []string) cacheKey {
	m := c.macs.Get().(*tokenMAC)
	key := m.key(token, audiences)
	c.macs.Put(m)
	return key
}
