package tokenreview_test

// Adversarial tests of tokenreview's options after the rename, and of the
// strategy under authn.Named.

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/internal/tokentest"
)

func TestAttack8TokenReviewRefusesNonsenseOptions(t *testing.T) {
	client := newReviewAPI(nil).client.AuthenticationV1().TokenReviews()
	aud := tokenreview.WithAudiences(reviewAudience)
	for name, opts := range map[string][]tokenreview.Option{
		"nil option":          {aud, nil},
		"no audience":         {},
		"WithAudiences()":     {tokenreview.WithAudiences()},
		"empty audience":      {tokenreview.WithAudiences(reviewAudience, "")},
		"negative TTL":        {aud, tokenreview.WithCacheTTL(-1, 0)},
		"negative failure":    {aud, tokenreview.WithCacheTTL(0, -1)},
		"size 0":              {aud, tokenreview.WithCacheSize(0, 1)},
		"failure size 0":      {aud, tokenreview.WithCacheSize(1, 0)},
		"rate 0":              {aud, tokenreview.WithRateLimit(0, 1)},
		"rate negative":       {aud, tokenreview.WithRateLimit(-1, 1)},
		"rate NaN":            {aud, tokenreview.WithRateLimit(math.NaN(), 1)},
		"burst 0":             {aud, tokenreview.WithRateLimit(1, 0)},
		"in flight 0":         {aud, tokenreview.WithMaxInFlight(0)},
		"timeout 0":           {aud, tokenreview.WithTimeout(0)},
		"timeout negative":    {aud, tokenreview.WithTimeout(-time.Second)},
		"nil clock":           {aud, tokenreview.WithClock(nil)},
		"bound kind pod":      {aud, tokenreview.WithBoundObjectKinds("pod")},
		"bound kind empty":    {aud, tokenreview.WithBoundObjectKinds("")},
		"bound kind spaced":   {aud, tokenreview.WithBoundObjectKinds(" x")},
		"bound kind repeated": {aud, tokenreview.WithBoundObjectKinds("x"), tokenreview.WithBoundObjectKinds("node")},
	} {
		err := tokentest.NoPanic(func() error {
			_, err := tokenreview.New(client, opts...)
			return err
		})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := tokenreview.New(nil, aud); err == nil {
		t.Error("nil client accepted")
	}
}

func TestAttack8TokenReviewNamedUnbuiltRefused(t *testing.T) {
	if _, err := authn.NewChain(authn.Named("review-a", &tokenreview.Strategy{})); err == nil {
		t.Error("Named hid a zero tokenreview.Strategy")
	}
	s := newTokenReview(t, newReviewAPI(nil))
	if _, err := authn.NewChain(authn.Named("review-a", s), authn.Named("review-a", s)); err == nil {
		t.Error("two strategies Named alike accepted")
	}
}

// TestCacheOptionsForwardToBearer: WithCacheSize and WithCacheTTL are
// checked by bearer's cache options, whose rule lives once, and New
// reports what they refuse together with every other problem.
func TestCacheOptionsForwardToBearer(t *testing.T) {
	client := newReviewAPI(nil).client.AuthenticationV1().TokenReviews()
	_, err := tokenreview.New(client, tokenreview.WithCacheSize(0, 1), tokenreview.WithCacheTTL(-1, 0))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"WithSize(0, 1): both must be at least 1", "WithTTL(-1ns, 0s): TTLs must not be negative", "no audience"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
