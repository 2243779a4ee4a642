package tokenreview_test

import (
	"strings"
	"testing"

	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"

	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/internal/tokentest"
)

// TestUnbuiltStrategyRefused: a zero tokenreview.Strategy would panic on
// the first request (no client, no cache); NewChain refuses it, naming the
// constructor, and accepts the strategy New builds.
func TestUnbuiltStrategyRefused(t *testing.T) {
	tokentest.CheckUnbuilt(t, &tokenreview.Strategy{}, "tokenreview.New", tokentest.Request(tokentest.RSA(t, tokentest.Claims())))
	tokentest.CheckBuilt(t, newTokenReview(t, newReviewAPI(nil)))
}

// nilReviews is a TokenReviewInterface whose nil pointer satisfies the
// interface, as a typed variable declared but never assigned does.
type nilReviews struct {
	authenticationv1client.TokenReviewInterface
}

// TestNewRefusesTypedNilClient: a client that is an interface holding a
// nil pointer is refused as a plain nil is, not found by a panic on a
// request; so is a nil option.
func TestNewRefusesTypedNilClient(t *testing.T) {
	reviews := authenticationv1client.TokenReviewInterface((*nilReviews)(nil))
	err := tokentest.NoPanic(func() error {
		_, err := tokenreview.New(reviews, tokenreview.WithAudiences(reviewAudience))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "client is nil") {
		t.Errorf("typed-nil client: err = %v, want it refused", err)
	}
	err = tokentest.NoPanic(func() error {
		_, err := tokenreview.New(newReviewAPI(nil).client.AuthenticationV1().TokenReviews(),
			tokenreview.WithAudiences(reviewAudience), nil)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "option") || !strings.Contains(err.Error(), "is nil") {
		t.Errorf("nil option: err = %v, want it refused", err)
	}
}
