package bearer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authchain/authchain/internal/tokentest"
)

// countingObserver counts what a Cache reports.
type countingObserver struct {
	hits, misses, started, ok, failed, active atomic.Int64
}

func (o *countingObserver) CacheRequest(hit bool) {
	if hit {
		o.hits.Add(1)
	} else {
		o.misses.Add(1)
	}
}

func (o *countingObserver) FetchStarted() { o.started.Add(1); o.active.Add(1) }

func (o *countingObserver) FetchDone(ok bool) {
	o.active.Add(-1)
	if ok {
		o.ok.Add(1)
	} else {
		o.failed.Add(1)
	}
}

// counts is what a countingObserver saw, in one comparable value.
type counts struct{ hits, misses, started, ok, failed, active int64 }

func (o *countingObserver) counts() counts {
	return counts{o.hits.Load(), o.misses.Load(), o.started.Load(), o.ok.Load(), o.failed.Load(), o.active.Load()}
}

// TestCacheObserver: every Get is one hit or one miss; every verification
// is started once and ends once, ok for a verdict (valid or invalid),
// not ok for an error or a panic, ok again for an error wrapping
// ErrNotApplicable, which is not cached either; admission refusals and
// ended contexts are misses without a verification.
func TestCacheObserver(t *testing.T) {
	errDown := errors.New("backend down")
	verify := func(_ context.Context, token string, _ []string) (Verdict[string], error) {
		switch {
		case strings.HasPrefix(token, "good"):
			return Verdict[string]{Value: token}, nil
		case strings.HasPrefix(token, "bad"):
			return Verdict[string]{Invalid: "token not authenticated"}, nil
		case strings.HasPrefix(token, "panic"):
			panic("verifier bug")
		case strings.HasPrefix(token, "foreign"):
			return Verdict[string]{}, fmt.Errorf("another issuer's: %w", ErrNotApplicable)
		}
		return Verdict[string]{}, errDown
	}
	o := &countingObserver{}
	c, err := NewCache(verify, WithClock(tokentest.NewClock().Now), WithObserver(o),
		WithAdmission(func(token string) string {
			if strings.HasPrefix(token, "refused") {
				return "not a token"
			}
			return ""
		}))
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, step := range []struct {
		ctx   context.Context
		token string
		want  counts
	}{
		{t.Context(), "good-1", counts{misses: 1, started: 1, ok: 1}},
		{t.Context(), "good-1", counts{hits: 1, misses: 1, started: 1, ok: 1}},
		{t.Context(), "bad-1", counts{hits: 1, misses: 2, started: 2, ok: 2}},
		{t.Context(), "bad-1", counts{hits: 2, misses: 2, started: 2, ok: 2}},
		{t.Context(), "down-1", counts{hits: 2, misses: 3, started: 3, ok: 2, failed: 1}},
		{t.Context(), "panic-1", counts{hits: 2, misses: 4, started: 4, ok: 2, failed: 2}},
		{t.Context(), "refused-1", counts{hits: 2, misses: 5, started: 4, ok: 2, failed: 2}},
		{cancelled, "good-2", counts{hits: 2, misses: 6, started: 4, ok: 2, failed: 2}},
		{t.Context(), "foreign-1", counts{hits: 2, misses: 7, started: 5, ok: 3, failed: 2}},
		{t.Context(), "foreign-1", counts{hits: 2, misses: 8, started: 6, ok: 4, failed: 2}},
	} {
		_, _ = c.Get(step.ctx, step.token, testAudiences)
		if got := o.counts(); got != step.want {
			t.Errorf("after %s: %+v, want %+v", step.token, got, step.want)
		}
	}
}

// TestTokenCacheHitAllocsObserved: an observer costs the hit path no
// allocation.
func TestTokenCacheHitAllocsObserved(t *testing.T) {
	if tokentest.RaceDetectorOn() {
		t.Skip("the race detector drops sync.Pool entries on purpose")
	}
	o := &countingObserver{}
	c, err := NewCache((&countingVerifier{verdict: Verdict[string]{Value: "alice"}}).verify, WithObserver(o))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.Repeat("k", 900)
	ctx := context.Background()
	if _, err := c.Get(ctx, token, testAudiences); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { c.Get(ctx, token, testAudiences) }); n > 0 {
		t.Errorf("%v allocs/op on an observed hit, want 0", n)
	}
	if o.hits.Load() < 100 {
		t.Errorf("%d hits observed, want at least 100", o.hits.Load())
	}
}
