package bearer_test

// Second adversarial review of the cache's clock fix: entries read with a
// clock that steps back and forth, jitters, or is shared by concurrent
// callers.

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authchain/authchain/authn/bearer"
)

// steppedCache is a cache, with a valid-TTL of a minute and the given
// invalid-TTL, over a verifier that answers valid until told otherwise,
// read with a settable clock at start.
func steppedCache(t *testing.T, invalidTTL time.Duration) (time.Time, *stepClock, *flipVerify, *bearer.Cache[string]) {
	t.Helper()
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := &stepClock{t: start}
	f := &flipVerify{}
	f.good.Store(true)
	c, err := bearer.NewCache(f.verify, bearer.WithClock(clock.now), bearer.WithTTL(time.Minute, invalidTTL))
	if err != nil {
		t.Fatal(err)
	}
	return start, clock, f, c
}

// TestAttack8bCacheRevokedTokenDoesNotComeBackAfterClockStep: with the
// failure cache off (WithTTL(valid, 0)), a valid verdict is stored at t;
// the clock steps back to t-1s, so the entry is not fresh and the token is
// verified again: now it is revoked. The invalid verdict is not stored
// (TTL 0) and store returns before dropping the valid one, so at t+1s the
// old valid verdict answers again for a token the verifier just refused.
func TestAttack8bCacheRevokedTokenDoesNotComeBackAfterClockStep(t *testing.T) {
	start, clock, f, c := steppedCache(t, 0)
	if v, _ := c.Get(context.Background(), "tok", nil); v.Invalid != "" {
		t.Fatal("want valid first")
	}
	f.good.Store(false) // revoked
	clock.set(start.Add(-time.Second))
	if v, _ := c.Get(context.Background(), "tok", nil); v.Invalid == "" {
		t.Fatal("at t-1s the token was not verified again")
	}
	clock.set(start.Add(time.Second))
	if v, _ := c.Get(context.Background(), "tok", nil); v.Invalid == "" {
		t.Errorf("at t+1s the valid verdict stored at t came back after the verifier refused the token at t-1s (%d verifications)", f.calls.Load())
	}
}

// TestAttack8bCacheRevokedTokenStaysRefusedWithFailureCache: the same
// steps with the failure cache on: the invalid verdict replaces the valid
// one.
func TestAttack8bCacheRevokedTokenStaysRefusedWithFailureCache(t *testing.T) {
	start, clock, f, c := steppedCache(t, 10*time.Second)
	_, _ = c.Get(context.Background(), "tok", nil)
	f.good.Store(false)
	clock.set(start.Add(-time.Second))
	_, _ = c.Get(context.Background(), "tok", nil)
	for _, d := range []time.Duration{time.Second, 5 * time.Second, 30 * time.Second} {
		clock.set(start.Add(d))
		if v, _ := c.Get(context.Background(), "tok", nil); v.Invalid == "" {
			t.Errorf("at t+%v the revoked token is valid again", d)
		}
	}
}

// TestAttack8bCacheEntryReadBeforeAndAfterItsStore: stored at t, read at
// t-1s (verified again, stored anew), then at t+1s: a hit, so exactly two
// verifications, and the answer stays valid.
func TestAttack8bCacheEntryReadBeforeAndAfterItsStore(t *testing.T) {
	start, clock, f, c := steppedCache(t, 10*time.Second)
	for _, d := range []time.Duration{0, -time.Second, time.Second, 30 * time.Second} {
		clock.set(start.Add(d))
		if v, _ := c.Get(context.Background(), "tok", nil); v.Invalid != "" {
			t.Errorf("at t%+v: invalid", d)
		}
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("%d verifications, want 2 (t, and t-1s after the step back)", n)
	}
	// The entry stored at t-1s ends at t-1s+1m, not t+1m.
	clock.set(start.Add(time.Minute - time.Second))
	_, _ = c.Get(context.Background(), "tok", nil)
	if n := f.calls.Load(); n != 3 {
		t.Errorf("%d verifications, want 3: the entry stored at t-1s outlived its minute", n)
	}
}

// jitterClock reads true time (advancing step per reading) plus a jitter
// that alternates sign and exceeds the step, so every other reading is
// behind the one before.
type jitterClock struct {
	mu     sync.Mutex
	start  time.Time
	n      int
	step   time.Duration
	jitter time.Duration
}

func (c *jitterClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	j := c.jitter
	if c.n%2 == 0 {
		j = -j
	}
	return c.start.Add(time.Duration(c.n)*c.step + j)
}

// TestAttack8bCacheJitteryClockDoesNotForceReverification: a clock that
// steps back by up to its jitter on every other reading costs a few
// verifications, not one per request: once true time has passed the
// jitter, the entry is older than every reading.
func TestAttack8bCacheJitteryClockDoesNotForceReverification(t *testing.T) {
	clock := &jitterClock{start: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), step: 10 * time.Millisecond, jitter: 95 * time.Millisecond}
	var f flipVerify
	f.good.Store(true)
	c, err := bearer.NewCache(f.verify, bearer.WithClock(clock.now), bearer.WithTTL(time.Minute, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	const gets = 1000 // about 20s of true time: within the TTL
	for range gets {
		if v, _ := c.Get(context.Background(), "tok", nil); v.Invalid != "" {
			t.Fatal("invalid")
		}
	}
	if n := f.calls.Load(); n > 5 {
		t.Errorf("%d verifications for %d requests: a jittery clock forces a valid token to be verified again and again", n, gets)
	}
}

// TestAttack8bCacheStepBackUnderConcurrencyVerifiesOnce: many callers at
// once after the clock stepped back share one verification (singleflight,
// then the fresh entry), and all get the valid verdict.
func TestAttack8bCacheStepBackUnderConcurrencyVerifiesOnce(t *testing.T) {
	start, clock, f, c := steppedCache(t, 10*time.Second)
	_, _ = c.Get(context.Background(), "tok", nil)
	clock.set(start.Add(-time.Hour))
	var wg sync.WaitGroup
	var invalid atomic.Int64
	for range 32 {
		wg.Go(func() {
			for range 20 {
				if v, err := c.Get(context.Background(), "tok", nil); err != nil || v.Invalid != "" {
					invalid.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := invalid.Load(); n != 0 {
		t.Errorf("%d answers were not valid", n)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("%d verifications, want 2: one at t, one shared after the step back", n)
	}
}
