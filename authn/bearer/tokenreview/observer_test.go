package tokenreview_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/internal/tokentest"
)

// callCodes records the codes WithCallObserver reports, and what the
// cache reports to WithCacheObserver.
type callCodes struct {
	mu               sync.Mutex
	codes            []string
	requests, ok, ko int
}

func (c *callCodes) observe(code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.codes = append(c.codes, code)
}

func (c *callCodes) CacheRequest(bool) { c.mu.Lock(); c.requests++; c.mu.Unlock() }
func (c *callCodes) FetchStarted()     {}
func (c *callCodes) FetchDone(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.ok++
	} else {
		c.ko++
	}
}

func (c *callCodes) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.codes)
}

// TestTokenReviewCallObserver: each review the strategy makes or refuses
// is reported once, with the HTTP status of the answer or a class when
// there was none; cached answers and tokens refused by their shape are no
// review. No code carries text of the answer.
func TestTokenReviewCallObserver(t *testing.T) {
	api := newReviewAPI(reviewTokens())
	obs := &callCodes{}
	clock := tokentest.NewClock()
	s := newTokenReview(t, api, tokenreview.WithCallObserver(obs.observe), tokenreview.WithCacheObserver(obs),
		tokenreview.WithClock(clock.Now), tokenreview.WithRateLimit(1, 7))

	authenticateN(t, s, ciBotToken, 3, authn.Contributed) // one review, "201"
	authenticateN(t, s, unknownToken, 2, authn.Rejected)  // refused by the API server: still "201"
	authenticateN(t, s, "not-a-jws", 1, authn.Rejected)   // no review
	for _, tt := range []struct {
		err  error
		want string
	}{
		{apierrors.NewForbidden(schema.GroupResource{Group: "authentication.k8s.io", Resource: "tokenreviews"}, "", errors.New("RBAC: "+aliceToken)), "403"},
		{apierrors.NewTooManyRequests("slow down "+aliceToken, 1), "429"},
		{fmt.Errorf("Post %q: %w", "https://api/"+aliceToken, context.DeadlineExceeded), "timeout"},
		{fmt.Errorf("Post: %w", context.Canceled), "canceled"},
		{errors.New("dial tcp: connection refused " + aliceToken), "error"},
	} {
		api.set(func(api *reviewAPI) { api.err = tt.err })
		authenticateN(t, s, aliceToken, 1, authn.Failed)
	}
	api.set(func(api *reviewAPI) { api.err = nil })
	authenticateN(t, s, legacyToken, 1, authn.Failed) // the burst of 7 is spent: "limited"

	want := []string{"201", "201", "403", "429", "timeout", "canceled", "error", tokenreview.CodeLimited}
	if diff := cmp.Diff(want, obs.got()); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	// 3+2+1+5+1 look-ups; verifications: 2 verdicts, 6 errors (limited
	// included); the shape refusal is not one.
	if obs.requests != 12 || obs.ok != 2 || obs.ko != 6 {
		t.Errorf("cache observer: %d requests, %d ok, %d errors; want 12, 2, 6", obs.requests, obs.ok, obs.ko)
	}
}
