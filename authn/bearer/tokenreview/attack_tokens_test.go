package tokenreview_test

// Adversarial tests of the tokenreview strategy (class 6): TokenReview
// floods against a counting fake API server, slow and panicking API
// servers, and answers that must not be trusted blindly. Helpers come from
// tokenreview_test.go and package tokentest.

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/internal/tokentest"
)

// --- TokenReview floods ---------------------------------------------------

// countingAPI is a fake API server that counts TokenReviews, can be made
// slow or to panic, and authenticates only the token it is told of.
type countingAPI struct {
	client *fake.Clientset
	calls  atomic.Int64
	valid  string
	delay  time.Duration
	panics bool
	active atomic.Int64
	peak   atomic.Int64
}

func newCountingAPI(valid string) *countingAPI {
	a := &countingAPI{client: fake.NewClientset(), valid: valid}
	a.client.PrependReactor("create", "tokenreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		a.calls.Add(1)
		n := a.active.Add(1)
		defer a.active.Add(-1)
		for {
			p := a.peak.Load()
			if n <= p || a.peak.CompareAndSwap(p, n) {
				break
			}
		}
		if a.delay > 0 {
			time.Sleep(a.delay)
		}
		if a.panics {
			panic("api server exploded with " + action.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).Spec.Token)
		}
		tr := action.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
		if tr.Spec.Token == a.valid {
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: tr.Spec.Audiences,
				User: authenticationv1.UserInfo{Username: "system:serviceaccount:team:ci-bot", UID: "uid-ci-bot"}}
		} else {
			tr.Status = authenticationv1.TokenReviewStatus{Error: "invalid bearer token " + tr.Spec.Token}
		}
		return true, tr, nil
	})
	return a
}

func junkShaped(i int) string { return shapedToken(fmt.Sprintf("junk-%d", i)) }

func junkBootstrap(i int) string { return fmt.Sprintf("%06x.%016x", i, i*7919) }

func (a *countingAPI) strategy(t *testing.T, opts ...tokenreview.Option) *tokenreview.Strategy {
	t.Helper()
	opts = append([]tokenreview.Option{tokenreview.WithAudiences(reviewAudience)}, opts...)
	s, err := tokenreview.New(a.client.AuthenticationV1().TokenReviews(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAttack_TokenReviewJunkFloodIsBounded: thousands of distinct junk
// tokens (JWT-shaped, bootstrap-shaped, opaque) cost at most the burst of
// reviews while the clock stands still, from one goroutine or many.
func TestAttack_TokenReviewJunkFloodIsBounded(t *testing.T) {
	for _, tt := range []struct {
		name  string
		token func(int) string
	}{
		{"jwt-shaped", junkShaped},
		{"bootstrap-shaped", junkBootstrap},
		{"opaque", func(i int) string { return fmt.Sprintf("opaque%08d", i) }},
		{"oversize jwt", func(i int) string { return junkShaped(i) + strings.Repeat("A", tokenreview.MaxTokenLength) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := newCountingAPI("")
			clock := tokentest.NewClock()
			s := api.strategy(t, tokenreview.WithClock(clock.Now))
			var wg sync.WaitGroup
			var ok atomic.Int64
			for g := range 8 {
				wg.Go(func() {
					for i := range 500 {
						d := s.Authenticate(tokentest.Request(tt.token(g*1000+i)), authn.Principal{})
						if d.Outcome == authn.Contributed {
							ok.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if n := api.calls.Load(); n > tokenreview.DefaultBurst {
				t.Errorf("%d TokenReviews for 4000 junk tokens, want at most %d", n, tokenreview.DefaultBurst)
			}
			if ok.Load() > 0 {
				t.Errorf("%d junk tokens authenticated", ok.Load())
			}
		})
	}
}

// TestAttack_TokenReviewValidVerdictSurvivesFlood: with limits opened wide
// and tiny caches, a flood of junk verdicts never evicts a valid one.
func TestAttack_TokenReviewValidVerdictSurvivesFlood(t *testing.T) {
	valid := shapedToken("valid-ci-bot")
	api := newCountingAPI(valid)
	clock := tokentest.NewClock()
	s := api.strategy(t, tokenreview.WithClock(clock.Now), tokenreview.WithRateLimit(1e9, 1_000_000),
		tokenreview.WithCacheSize(2, 3), tokenreview.WithMaxInFlight(64))
	if d := s.Authenticate(tokentest.Request(valid), authn.Principal{}); d.Outcome != authn.Contributed {
		t.Fatalf("valid token: %v %q", d.Outcome, d.Reason)
	}
	before := api.calls.Load()
	for i := range 3000 {
		_ = s.Authenticate(tokentest.Request(junkShaped(i)), authn.Principal{})
	}
	calls := api.calls.Load()
	if d := s.Authenticate(tokentest.Request(valid), authn.Principal{}); d.Outcome != authn.Contributed {
		t.Fatalf("valid token after flood: %v %q", d.Outcome, d.Reason)
	}
	if api.calls.Load() != calls {
		t.Errorf("the valid verdict was evicted by %d junk verdicts", calls-before)
	}
}

// TestAttack_TokenReviewSlowAPIServer: an API server that takes far longer
// than the timeout ties up at most the in-flight slots; every request
// answers within about the timeout, and nothing is left running once the
// server answers.
func TestAttack_TokenReviewSlowAPIServer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	api := &slowReviews{delay: 1500 * time.Millisecond}
	s, err := tokenreview.New(api, tokenreview.WithAudiences(reviewAudience),
		tokenreview.WithTimeout(200*time.Millisecond), tokenreview.WithRateLimit(1e6, 1e6))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var slow atomic.Int64
	for i := range 60 {
		wg.Go(func() {
			start := time.Now()
			d := s.Authenticate(tokentest.Request(junkShaped(i)), authn.Principal{})
			if d.Outcome == authn.Contributed {
				t.Errorf("junk token %d authenticated", i)
			}
			if time.Since(start) > time.Second {
				slow.Add(1)
			}
		})
	}
	wg.Wait()
	if slow.Load() > 0 {
		t.Errorf("%d requests waited on the slow API server beyond the timeout", slow.Load())
	}
	if p := api.peak.Load(); p > tokenreview.DefaultMaxInFlight {
		t.Errorf("%d TokenReviews in flight at once, want at most %d", p, tokenreview.DefaultMaxInFlight)
	}
	time.Sleep(api.delay + 300*time.Millisecond)
}

// slowReviews is a TokenReview client that ignores its context and answers
// after delay, "not authenticated"; unlike the fake clientset it does not
// serialize calls.
type slowReviews struct {
	delay        time.Duration
	active, peak atomic.Int64
}

func (s *slowReviews) Create(_ context.Context, tr *authenticationv1.TokenReview, _ metav1.CreateOptions) (*authenticationv1.TokenReview, error) {
	n := s.active.Add(1)
	defer s.active.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(s.delay)
	out := tr.DeepCopy()
	out.Status = authenticationv1.TokenReviewStatus{Error: "no"}
	return out, nil
}

// TestAttack_TokenReviewPanickingAPI: a client that panics (with the token
// in its panic value) costs one request a 503, leaks no token into the
// decision, and later requests are served.
func TestAttack_TokenReviewPanickingAPI(t *testing.T) {
	api := newCountingAPI("")
	api.panics = true
	s := api.strategy(t)
	tok := shapedToken("secret-token-in-panic")
	d := s.Authenticate(tokentest.Request(tok), authn.Principal{})
	if d.Outcome != authn.Failed {
		t.Errorf("panicking API: %v %q, want failed", d.Outcome, d.Reason)
	}
	for _, text := range []string{d.Reason, d.Detail, fmt.Sprint(d.Cause)} {
		if strings.Contains(text, tok) || strings.Contains(text, "secret-token") {
			t.Errorf("decision quotes the token: %q", text)
		}
	}
	api.panics = false
	if d := s.Authenticate(tokentest.Request(tok), authn.Principal{}); d.Outcome != authn.Rejected {
		t.Errorf("after the panic: %v %q, want rejected", d.Outcome, d.Reason)
	}
}

// TestAttack_TokenReviewAnswersNeverTrustedBlindly: what an API server (or
// something posing as one) answers is checked: names, audiences, bindings.
func TestAttack_TokenReviewAnswersNeverTrustedBlindly(t *testing.T) {
	for name, user := range map[string]authenticationv1.UserInfo{
		"SYSTEM: user":             {Username: "SYSTEM:masters"},
		"synthetic-named user":     {Username: "system-serviceaccount-team-x"},
		"zero-width user":          {Username: "ali\u200bce"},
		"NFD user":                 {Username: "e\u0301mile"},
		"bidi group":               {Username: "bob", Groups: []string{"admins\u202e"}},
		"control extra key":        {Username: "bob", Extra: map[string]authenticationv1.ExtraValue{"k\n": {"v"}}},
		"upper-case SA subject":    {Username: "system:serviceaccount:Team:x", UID: "u"},
		"SA subject extra part":    {Username: "system:serviceaccount:team:x:y", UID: "u"},
		"SA bound to webhook":      {Username: "system:serviceaccount:team:x", UID: "u", Extra: map[string]authenticationv1.ExtraValue{"authentication.kubernetes.io/mutatingwebhookconfiguration-name": {"p"}, "authentication.kubernetes.io/mutatingwebhookconfiguration-uid": {"u"}}},
		"SA with attestation only": {Username: "system:serviceaccount:team:x", UID: "u", Extra: map[string]authenticationv1.ExtraValue{"attestation.authentication.kubernetes.io/x": {"*"}}},
		"SA bound to odd kind":     {Username: "system:serviceaccount:team:x", UID: "u", Extra: map[string]authenticationv1.ExtraValue{"authentication.kubernetes.io/-name": {"p"}}},
	} {
		client := fake.NewClientset()
		client.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
			tr := a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: tr.Spec.Audiences, User: user}
			return true, tr, nil
		})
		s, err := tokenreview.New(client.AuthenticationV1().TokenReviews(), tokenreview.WithAudiences(reviewAudience))
		if err != nil {
			t.Fatal(err)
		}
		tokentest.WantNotVerified(t, name, s.Authenticate(tokentest.Request(shapedToken(name)), authn.Principal{}))
	}
	// Authenticated, but for no audience of ours, or with none named.
	for name, auds := range map[string][]string{"no audiences": nil, "other audience": {"https://vault"}} {
		client := fake.NewClientset()
		client.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
			tr := a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: auds,
				User: authenticationv1.UserInfo{Username: "system:serviceaccount:team:x", UID: "u"}}
			return true, tr, nil
		})
		s, _ := tokenreview.New(client.AuthenticationV1().TokenReviews(), tokenreview.WithAudiences(reviewAudience))
		tokentest.WantNotVerified(t, name, s.Authenticate(tokentest.Request(shapedToken(name)), authn.Principal{}))
	}
}

// TestAttack_TokenReviewBindsToForwardedIdentity: a reviewed token and a
// forwarded identity that disagree are refused.
func TestAttack_TokenReviewBindsToForwardedIdentity(t *testing.T) {
	api := newReviewAPI(reviewTokens())
	s := newTokenReview(t, api)
	for name, sofar := range map[string]authn.Principal{
		"human forwarded, SA token":     {User: authn.User{Name: "alice@example.com"}},
		"other SA forwarded":            {User: authn.User{Name: "system:serviceaccount:team:other"}},
		"same SA other uid established": {Actor: &authn.ServiceAccount{Namespace: "team", Name: "ci-bot", UID: "uid-old"}},
		"other SA established":          {Actor: &authn.ServiceAccount{Namespace: "team", Name: "other"}},
	} {
		tokentest.WantRejected(t, name, s.Authenticate(tokentest.Request(ciBotToken), sofar))
	}
	tokentest.WantRejected(t, "user token vs other forwarded user", s.Authenticate(tokentest.Request(aliceToken), authn.Principal{User: authn.User{Name: "bob@example.com"}}))
}

// keep imports used by helpers above
var _ = httptest.NewRequest
var _ = http.MethodGet
var _ *ecdsa.PrivateKey
