package authchain_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/authntest"
	"github.com/authchain/authchain/chiadapter"
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// tokenChainConfig is the chain of the TokenReview tests outside
// testdata: forwarded headers from 10.0.0.0/8, TokenReview for the audience
// "authchain", the ServiceAccount rule, labelled creator annotations and the
// synthetic fallback.
const tokenChainConfig = `apiVersion: authchain.dev/v1alpha1
kind: ChainConfiguration
spec:
  strategies:
  - forwarded: {trust: {cidrs: [10.0.0.0/8]}}
  - tokenReview: {audiences: [authchain]}
  - serviceAccount: {}
  - annotation: {requireLabels: {app: ambient-access-key}}
  - synthetic: {}
`

// floodCluster is the one ServiceAccount the valid token names.
const floodCluster = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ambient-key-test-write-2b3908aa
  namespace: stackrox-1
  uid: uid-1111
  labels:
    app: "ambient-access-key"
  annotations:
    ambient-code.io/created-by-user-id: "alice@example.com"
`

// junkJWT returns a distinct, well-shaped JWT with a garbage signature: the
// kind of token anyone can make by the thousand.
func junkJWT(t *testing.T, i int) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	sig := make([]byte, 256)
	if _, err := rand.Read(sig); err != nil {
		t.Fatal(err)
	}
	return enc([]byte(`{"alg":"RS256","kid":"rsa-1"}`)) + "." +
		enc(fmt.Appendf(nil, `{"iss":"https://issuer.test","sub":"system:serviceaccount:stackrox-1:ambient-key-test-write-2b3908aa","aud":["authchain"],"jti":"junk-%d"}`, i)) + "." +
		enc(sig)
}

// TestTokenReviewFlood sends 10,000 distinct junk tokens from an untrusted
// peer through the standard chain with TokenReview and the default limits,
// behind the chi adapter. The clock stands still, so the rate limit grants
// exactly its burst and no more, whatever the machine's speed. It shows:
//   - the API server sees at most tokenreview.DefaultBurst TokenReviews, not
//     10,000; every request beyond the limit gets 503 with Retry-After;
//   - a valid token's answer, cached before the flood, is still served
//     from the cache afterwards: no TokenReview for it, and a 200.
func TestTokenReviewFlood(t *testing.T) {
	const junk = 10_000
	var valid = junkJWT(t, -1) // well-shaped; the fake API server vouches for it
	var calls atomic.Int64
	client := fake.NewClientset()
	client.PrependReactor("create", "tokenreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		calls.Add(1)
		tr := action.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
		if tr.Spec.Token == valid && slices.Contains(tr.Spec.Audiences, "authchain") {
			tr.Status = authenticationv1.TokenReviewStatus{
				Authenticated: true,
				Audiences:     []string{"authchain"},
				User:          authenticationv1.UserInfo{Username: "system:serviceaccount:stackrox-1:ambient-key-test-write-2b3908aa", UID: "uid-1111"},
			}
		}
		return true, tr, nil
	})

	frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sas, _ := authntest.Cluster(t, []byte(floodCluster))
	chain, _ := buildGolden(t, []byte(tokenChainConfig), nil, authnconfig.Deps{
		ServiceAccounts: sas,
		Kubernetes:      client,
		Now:             func() time.Time { return frozen },
	})
	handler := chiadapter.Authenticate(chain)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	send := func(token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/projects", nil)
		r.RemoteAddr = "203.0.113.7:40000" // outside the trusted 10.0.0.0/8
		r.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		return rec
	}

	if rec := send(valid); rec.Code != http.StatusOK {
		t.Fatalf("valid token before the flood: %d %s", rec.Code, rec.Body)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d TokenReviews for the valid token, want 1", n)
	}

	statuses := map[int]int{}
	for i := range junk {
		rec := send(junkJWT(t, i))
		statuses[rec.Code]++
		if rec.Code == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") == "" {
			t.Fatalf("junk token %d: 503 without Retry-After", i)
		}
	}
	reviews := calls.Load()
	t.Logf("%d junk tokens: %d TokenReviews in all (1 for the valid token), %d answered 401, %d answered 503",
		junk, reviews, statuses[http.StatusUnauthorized], statuses[http.StatusServiceUnavailable])
	if reviews > tokenreview.DefaultBurst {
		t.Errorf("%d TokenReviews, more than the burst of %d", reviews, tokenreview.DefaultBurst)
	}
	if got, want := statuses[http.StatusUnauthorized], int(reviews)-1; got != want {
		t.Errorf("%d junk tokens refused (401), want one per review: %d", got, want)
	}
	if got, want := statuses[http.StatusServiceUnavailable], junk-(int(reviews)-1); got != want {
		t.Errorf("%d junk tokens turned away (503), want %d", got, want)
	}

	if rec := send(valid); rec.Code != http.StatusOK {
		t.Errorf("valid token after the flood: %d %s", rec.Code, rec.Body)
	}
	if n := calls.Load(); n != reviews {
		t.Errorf("the valid token cost %d TokenReviews after the flood, want 0: its cached answer was lost", n-reviews)
	}
}
