package tokenreview

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authchain/authchain/authn"
)

// TestTokenReviewCacheHoldsNoToken looks at what the strategy hands its
// cache for valid and invalid tokens: no verdict spells a token, even one
// the API server echoed back. That the cache itself keeps only keyed MACs of
// tokens is the bearer package's TestTokenCacheStoresNoToken.
func TestTokenReviewCacheHoldsNoToken(t *testing.T) {
	const aud = "https://authchain.example.com"
	enc := base64.RawURLEncoding.EncodeToString
	shaped := func(payload string) string {
		return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("signature"))
	}
	good := []string{shaped(`{"sub":"one"}`), shaped(`{"sub":"` + strings.Repeat("x", 2000) + `"}`)}
	client := fake.NewClientset()
	client.PrependReactor("create", "tokenreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		tr := action.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
		if slices.Contains(good, tr.Spec.Token) {
			tr.Status = authenticationv1.TokenReviewStatus{
				Authenticated: true,
				Audiences:     tr.Spec.Audiences,
				User:          authenticationv1.UserInfo{Username: "system:serviceaccount:team:ci-bot", UID: "uid-ci-bot"},
			}
		} else {
			tr.Status = authenticationv1.TokenReviewStatus{Error: "invalid token " + tr.Spec.Token}
		}
		return true, tr, nil
	})
	s, err := New(client.AuthenticationV1().TokenReviews(), WithAudiences(aud))
	if err != nil {
		t.Fatal(err)
	}
	tokens := append(slices.Clone(good), shaped(`{"sub":"three"}`))
	var held []string
	for _, tok := range tokens {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		if d := s.Authenticate(r, authn.Principal{}); d.Outcome != authn.Contributed && d.Outcome != authn.Rejected {
			t.Fatalf("%.12s: %v %q", tok, d.Outcome, d.Reason)
		}
		v, err := s.review(t.Context(), tok, []string{aud})
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, fmt.Sprintf("%+v %+v %+v", v, v.Value.sa, v.Value.cred))
	}
	for _, tok := range tokens {
		for _, h := range held {
			if strings.Contains(h, tok) {
				t.Errorf("a verdict holds token %.12q", tok)
			}
		}
	}
}

func TestUnverifiedJWTExpiry(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	jwt := func(payload string) string {
		return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(payload)) + ".c2lnbmF0dXJl"
	}
	for _, tt := range []struct {
		name  string
		token string
		want  time.Time
	}{
		{"integer exp", jwt(`{"exp":1796112000}`), time.Unix(1796112000, 0)},
		{"fractional exp", jwt(`{"exp":1796112000.5}`), time.Unix(1796112000, 5e8)},
		{"exp in the distant past", jwt(`{"exp":-5}`), time.Unix(0, 0)},
		{"no exp", jwt(`{"sub":"x"}`), time.Time{}},
		{"null exp", jwt(`{"exp":null}`), time.Time{}},
		{"string exp", jwt(`{"exp":"1796112000"}`), time.Time{}},
		{"absurd exp", jwt(`{"exp":1e300}`), time.Time{}},
		{"payload not JSON", jwt(`exp=1`), time.Time{}},
		{"payload not base64url", "eyJ9.@@@.c2ln", time.Time{}},
		{"padded payload", enc([]byte(`{}`)) + "." + base64.URLEncoding.EncodeToString([]byte(`{"exp": 1796112000}`)) + ".c2ln", time.Time{}},
		{"two parts", enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"exp":1796112000}`)), time.Time{}},
		{"five parts (JWE)", "a.b.c.d.e", time.Time{}},
		{"empty header", "." + enc([]byte(`{"exp":1796112000}`)) + ".c2ln", time.Time{}},
		{"opaque token", "sa-token-8b1f0c", time.Time{}},
	} {
		if got := unverifiedJWTExpiry(tt.token); !got.Equal(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestTokenReviewAudiencesAreCopied: the caller's slice is not kept.
func TestTokenReviewAudiencesAreCopied(t *testing.T) {
	auds := []string{"https://a.example.com", "https://b.example.com"}
	s, err := New(fake.NewClientset().AuthenticationV1().TokenReviews(), WithAudiences(auds...))
	if err != nil {
		t.Fatal(err)
	}
	auds[0] = "https://evil.example.com"
	if !slices.Equal(s.audiences, []string{"https://a.example.com", "https://b.example.com"}) {
		t.Errorf("audiences = %q, changed with the caller's slice", s.audiences)
	}
}

// TestReviewCallErrorKeepsNothingOfTheMessage: whatever the TokenReview
// call's error says, reviewCallError keeps only fixed text, the error's
// type, an API status's code and known reason, and the context errors the
// strategy tells apart with errors.Is.
func TestReviewCallErrorKeepsNothingOfTheMessage(t *testing.T) {
	const token = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2lnbmF0dXJl"
	quoted := apierrors.NewGenericServerResponse(http.StatusBadGateway, "POST",
		schema.GroupResource{Group: "authentication.k8s.io", Resource: "tokenreviews"}, "",
		`upstream refused request: {"spec":{"token":"`+token+`"}}`, 0, true)
	forged := &apierrors.StatusError{ErrStatus: metav1.Status{
		Code: http.StatusForbidden, Reason: metav1.StatusReason(token), Message: token,
	}}
	timedOut := &url.Error{Op: "Post", URL: "https://10.96.0.1/apis", Err: fmt.Errorf("%s: %w", token, context.DeadlineExceeded)}
	canceled := fmt.Errorf("%s: %w", token, context.Canceled)
	for _, tt := range []struct {
		name string
		err  error
		want string
		is   error
	}{
		{"status quoting the request", quoted, "TokenReview call failed (*errors.StatusError): HTTP 502, reason InternalError", nil},
		{"status with an unknown reason", forged, "TokenReview call failed (*errors.StatusError): HTTP 403, reason Unknown", nil},
		{"deadline", timedOut, "TokenReview call failed (*url.Error): context deadline exceeded", context.DeadlineExceeded},
		{"canceled", canceled, "TokenReview call failed (*fmt.wrapError): context canceled", context.Canceled},
		{"plain error", errors.New(token), "TokenReview call failed (*errors.errorString)", nil},
	} {
		if !strings.Contains(tt.err.Error(), token) {
			t.Fatalf("%s: the input does not quote the token", tt.name)
		}
		got := reviewCallError(tt.err)
		if got.Error() != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got.Error(), tt.want)
		}
		if tt.is != nil && !errors.Is(got, tt.is) {
			t.Errorf("%s: errors.Is(%v) = false", tt.name, tt.is)
		}
	}
}
