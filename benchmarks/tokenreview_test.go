package benchmarks_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	tokencache "k8s.io/apiserver/pkg/authentication/token/cache"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
)

// The two benchmarks below time a cache hit for the same bearer token,
// the size of a projected ServiceAccount token, at request level: read
// Authorization, find the cached answer for the token and the audience,
// hand back the identity. Run them in one invocation so the figures share
// a machine:
//
//	go test -run '^$' -bench 'TokenHitOverKubernetes|TokenReviewHit|CachedTokenAuthenticatorHit' -count 6

const tokenAudience = "https://authchain.example.com"

// tokenBench is a 993-byte token shaped like a projected ServiceAccount
// token, expiring in an hour, so the answer outlives the run.
func tokenBench() string {
	enc := base64.RawURLEncoding.EncodeToString
	now := time.Now().Unix()
	payload := fmt.Sprintf(`{"aud":[%q],"exp":%d,"iat":%d,"iss":"https://kubernetes.default.svc.cluster.local",`+
		`"jti":"6f9e1c2a-0b3d-4e5f-8a7b-1c2d3e4f5a6b","kubernetes.io":{"namespace":"team",`+
		`"node":{"name":"node-a","uid":"uid-node-a"},"pod":{"name":"runner-7d9f","uid":"uid-pod-runner"},`+
		`"serviceaccount":{"name":"ci-bot","uid":"uid-ci-bot"}},"nbf":%d,"sub":"system:serviceaccount:team:ci-bot"}`,
		tokenAudience, now+3600, now, now)
	return enc([]byte(`{"alg":"RS256","kid":"hQ3mH6v0tq4Zb2sRk1yNw8cXeLp5uJ7aFdG9iKoP2Ts"}`)) + "." +
		enc([]byte(payload)) + "." + enc([]byte(strings.Repeat("s", 256)))
}

const (
	tokenSubject = "system:serviceaccount:team:ci-bot"
	tokenUID     = "uid-ci-bot"
	tokenJTI     = "JTI=6f9e1c2a-0b3d-4e5f-8a7b-1c2d3e4f5a6b"
)

// BenchmarkKubernetesCachedTokenAuthenticatorHit is the API server's own
// arrangement: bearertoken.New over the cached token authenticator of
// k8s.io/apiserver (2m success, 10s failure TTL) over a token
// authenticator that stands in for the TokenReview webhook and is called
// once, before the loop. bearertoken deletes Authorization on success, so
// every iteration puts it back (one map assignment, 0 allocs). Measured
// (go1.26.8, 2-core shared machine, same run as the next): ~1.9 µs/op,
// 120 B/op, 5 allocs/op.
func BenchmarkKubernetesCachedTokenAuthenticatorHit(b *testing.B) {
	hit, calls := kubernetesTokenHit(b)
	b.ReportAllocs()
	for b.Loop() {
		hit()
	}
	if n := calls.Load(); n != 1 {
		b.Fatalf("%d token reviews, want 1", n)
	}
}

// kubernetesTokenHit builds BenchmarkKubernetesCachedTokenAuthenticatorHit's
// arrangement, answers its one review, and returns one iteration and the
// count of reviews.
func kubernetesTokenHit(b *testing.B) (func(), *atomic.Int64) {
	calls := new(atomic.Int64)
	reviewed := authenticator.TokenFunc(func(ctx context.Context, token string) (*authenticator.Response, bool, error) {
		calls.Add(1)
		return &authenticator.Response{
			Audiences: authenticator.Audiences{tokenAudience},
			User: &user.DefaultInfo{
				Name: tokenSubject, UID: tokenUID,
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"},
				Extra:  map[string][]string{"authentication.kubernetes.io/credential-id": {tokenJTI}},
			},
		}, true, nil
	})
	a := bearertoken.New(tokencache.New(reviewed, false, 2*time.Minute, 10*time.Second))
	auth := []string{"Bearer " + tokenBench()}
	ctx := authenticator.WithAudiences(context.Background(), authenticator.Audiences{tokenAudience})
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/whoami", nil)
	return func() {
		r.Header["Authorization"] = auth
		resp, ok, err := a.AuthenticateRequest(r)
		if err != nil || !ok || resp.User.GetUID() != tokenUID {
			b.Fatalf("AuthenticateRequest: ok = %v, err = %v", ok, err)
		}
	}, calls
}

// BenchmarkAuthchainTokenReviewHit is the tokenreview strategy with a
// cached answer: the fake API server answers one TokenReview, before the
// loop. Authorization is put back every iteration, as above, though the
// strategy leaves it alone. Measured (go1.26.8, 2-core shared machine,
// same run as the previous): ~0.77 µs/op against its ~1.9, 288 B/op,
// 1 allocs/op (the Actor and the per-request copy of the Credential and its
// audience, in one block). The token's syntax is checked on a miss only
// (bearer.Source.PresentedForCache); the largest part of a hit is the
// cache key, a GMAC of the token then one AES block, where Kubernetes
// computes an HMAC-SHA256: BenchmarkTokenHitOverKubernetes gives the ratio.
func BenchmarkAuthchainTokenReviewHit(b *testing.B) {
	hit, calls := authchainTokenHit(b)
	b.ReportAllocs()
	for b.Loop() {
		hit()
	}
	if n := calls.Load(); n != 1 {
		b.Fatalf("%d TokenReviews, want 1", n)
	}
}

// authchainTokenHit builds BenchmarkAuthchainTokenReviewHit's strategy,
// has its one TokenReview answered, and returns one iteration and the
// count of reviews.
func authchainTokenHit(b *testing.B) (func(), *atomic.Int64) {
	calls := new(atomic.Int64)
	client := fake.NewClientset()
	client.PrependReactor("create", "tokenreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		calls.Add(1)
		tr := action.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
		tr.Status = authenticationv1.TokenReviewStatus{
			Authenticated: true,
			Audiences:     []string{tokenAudience},
			User: authenticationv1.UserInfo{
				Username: tokenSubject, UID: tokenUID,
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"},
				Extra:  map[string]authenticationv1.ExtraValue{"authentication.kubernetes.io/credential-id": {tokenJTI}},
			},
		}
		return true, tr, nil
	})
	s, err := tokenreview.New(client.AuthenticationV1().TokenReviews(),
		tokenreview.WithAudiences(tokenAudience))
	if err != nil {
		b.Fatal(err)
	}
	auth := []string{"Bearer " + tokenBench()}
	r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	return func() {
		r.Header["Authorization"] = auth
		d := s.Authenticate(r, authn.Principal{})
		if d.Outcome != authn.Contributed || d.Principal.Actor.UID != tokenUID {
			b.Fatalf("Authenticate: %v %q", d.Outcome, d.Reason)
		}
	}, calls
}

// BenchmarkTokenHitOverKubernetes runs the iterations of the two
// benchmarks above in alternation, within each of its own, and reports
// authchain's time over Kubernetes' as authchain/kubernetes: on a shared
// machine both then see the same load, where two benchmarks run one after
// the other do not. The goal is at most 0.5 (twice as fast). Two
// more arms time the least each cache's key costs on every hit: one
// SHA-256 pass over the token (Kubernetes keys its cache by an HMAC-SHA256
// of it) as floor-ns/op, with floor/kubernetes the ratio no cache so keyed
// can beat; and authchain's own key, AES-256-GCM sealing nothing with the
// token as additional data and one AES block after it, as mac-ns/op, with
// mac/kubernetes the part of authchain/kubernetes that is the key.
func BenchmarkTokenHitOverKubernetes(b *testing.B) {
	k8s, k8sCalls := kubernetesTokenHit(b)
	ours, ourCalls := authchainTokenHit(b)
	arms := []func(){k8s, ours, sha256OfToken(), gmacOfToken(b)}
	var spent [4]time.Duration
	i := 0
	for b.Loop() {
		// Rotating the order keeps any arm from always running on a
		// cache another warmed.
		for j := range arms {
			arm := (i + j) % len(arms)
			start := time.Now()
			arms[arm]()
			spent[arm] += time.Since(start)
		}
		i++
	}
	for arm, unit := range []string{"kubernetes-ns/op", "authchain-ns/op", "floor-ns/op", "mac-ns/op"} {
		b.ReportMetric(float64(spent[arm].Nanoseconds())/float64(b.N), unit)
	}
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "authchain/kubernetes")
	b.ReportMetric(float64(spent[2])/float64(spent[0]), "floor/kubernetes")
	b.ReportMetric(float64(spent[3])/float64(spent[0]), "mac/kubernetes")
	if k8sCalls.Load() != 1 || ourCalls.Load() != 1 {
		b.Fatalf("%d and %d reviews, want 1 each", k8sCalls.Load(), ourCalls.Load())
	}
}

// sha256OfToken returns an iteration that hashes the benchmark token's
// bytes with SHA-256 once, without a key: less than any cache keyed by an
// HMAC-SHA256 of the token can do on a hit (HMAC adds a block or two).
func sha256OfToken() func() {
	h := sha256.New()
	token := []byte(tokenBench())
	var sum [sha256.Size]byte
	return func() {
		h.Reset()
		h.Write(token)
		h.Sum(sum[:0])
	}
}

// gmacOfToken returns an iteration that computes what bearer.Cache keys a
// token by, with crypto/aes and crypto/cipher, on the token's bytes alone:
// no framing, no copy and no wiping, so a little less than a hit's key.
func gmacOfToken(b *testing.B) func() {
	var k1, k2 [32]byte
	b1, err := aes.NewCipher(k1[:])
	if err != nil {
		b.Fatal(err)
	}
	gcm, err := cipher.NewGCM(b1)
	if err != nil {
		b.Fatal(err)
	}
	b2, err := aes.NewCipher(k2[:])
	if err != nil {
		b.Fatal(err)
	}
	token := []byte(tokenBench())
	var nonce [12]byte
	var tag, key [16]byte
	return func() {
		gcm.Seal(tag[:0], nonce[:], nil, token)
		b2.Encrypt(key[:], tag[:])
	}
}
