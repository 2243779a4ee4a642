package authnmetrics_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authnmetrics"
	"github.com/authchain/authchain/kubecache"
)

// printMetrics prints the samples of g whose names start with prefix, as
// GET /metrics shows them.
func printMetrics(g prometheus.Gatherer, prefix string) {
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(g, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, prefix) {
			fmt.Println(line)
		}
	}
}

// New registers the metrics with a registry of the program's own, which
// /metrics then serves, on a port of its own (whoami -metrics-listen).
func ExampleNew() {
	reg := prometheus.NewRegistry()
	m, err := authnmetrics.New(reg)
	if err != nil {
		panic(err)
	}
	chain, err := authn.NewChain(strategies.Synthetic())
	if err != nil {
		panic(err)
	}
	_ = m.Authenticator(chain) // hand this to chiadapter.Authenticate

	metrics := http.NewServeMux()
	metrics.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// go http.ListenAndServe(":9090", metrics)
	_, err = authnmetrics.New(reg)
	fmt.Println(err != nil)
	// Output: true
}

// The wrapped chain counts each request by result and by the strategy
// that decided, and times it.
func ExampleMetrics_Authenticator() {
	reg := prometheus.NewRegistry()
	m, err := authnmetrics.New(reg)
	if err != nil {
		panic(err)
	}
	forwarded, err := strategies.Forwarded(strategies.InsecureTrustAnyPeer())
	if err != nil {
		panic(err)
	}
	chain, err := authn.NewChain(forwarded)
	if err != nil {
		panic(err)
	}
	a := m.Authenticator(chain)

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Forwarded-User", "alice@example.com")
	_, _, _ = a.Authenticate(r)
	_, _, _ = a.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
	printMetrics(reg, `authchain_authentication_attempts_total{result="success"`)
	printMetrics(reg, `authchain_authentication_attempts_total{result="unauthenticated",strategy="chain"`)
	printMetrics(reg, "authchain_authentication_duration_seconds_count")
	// Output:
	// authchain_authentication_attempts_total{result="success",strategy="chain"} 0
	// authchain_authentication_attempts_total{result="success",strategy="forwarded"} 1
	// authchain_authentication_attempts_total{result="success",strategy="other"} 0
	// authchain_authentication_attempts_total{result="unauthenticated",strategy="chain"} 1
	// authchain_authentication_duration_seconds_count{result="error"} 0
	// authchain_authentication_duration_seconds_count{result="forbidden"} 0
	// authchain_authentication_duration_seconds_count{result="rejected"} 0
	// authchain_authentication_duration_seconds_count{result="success"} 1
	// authchain_authentication_duration_seconds_count{result="unauthenticated"} 1
	// authchain_authentication_duration_seconds_count{result="unavailable"} 0
}

// A token cache reports hits, misses and the verifications behind it.
// Here it is a custom strategy's bearer.Cache; the built-in strategies
// take the observer with jwt.WithCacheObserver and
// tokenreview.WithCacheObserver.
func ExampleMetrics_TokenCache() {
	reg := prometheus.NewRegistry()
	m, err := authnmetrics.New(reg)
	if err != nil {
		panic(err)
	}
	observer, err := m.TokenCache("apikeys")
	if err != nil {
		panic(err)
	}
	cache, err := bearer.NewCache(func(_ context.Context, token string, _ []string) (bearer.Verdict[string], error) {
		if token == "key-of-alice" {
			return bearer.Verdict[string]{Value: "alice"}, nil
		}
		return bearer.Verdict[string]{Invalid: "unknown API key"}, nil
	}, bearer.WithObserver(observer))
	if err != nil {
		panic(err)
	}
	for _, token := range []string{"key-of-alice", "key-of-alice", "key-of-alice", "guess"} {
		_, _ = cache.Get(context.Background(), token, nil)
	}
	printMetrics(reg, "authchain_token_cache_")
	// Output:
	// authchain_token_cache_active_fetches{cache="apikeys"} 0
	// authchain_token_cache_fetches_total{cache="apikeys",status="error"} 0
	// authchain_token_cache_fetches_total{cache="apikeys",status="ok"} 2
	// authchain_token_cache_requests_total{cache="apikeys",status="hit"} 2
	// authchain_token_cache_requests_total{cache="apikeys",status="miss"} 2
}

// Each TokenReview is counted under the HTTP status of the answer; the
// cache in front of the reviews is counted as any token cache.
func ExampleMetrics_TokenReviewCall() {
	reg := prometheus.NewRegistry()
	m, err := authnmetrics.New(reg)
	if err != nil {
		panic(err)
	}
	reviewCache, err := m.TokenCache("tokenreview")
	if err != nil {
		panic(err)
	}
	// A fake API server that authenticates no token.
	client := fake.NewClientset()
	client.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy(), nil
	})
	s, err := tokenreview.New(client.AuthenticationV1().TokenReviews(),
		tokenreview.WithAudiences("my-service"),
		tokenreview.WithCallObserver(m.TokenReviewCall),
		tokenreview.WithCacheObserver(reviewCache))
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
	for range 3 {
		s.Authenticate(r, authn.Principal{})
	}
	printMetrics(reg, "authchain_tokenreview_")
	printMetrics(reg, `authchain_token_cache_requests_total{cache="tokenreview"`)
	// Output:
	// authchain_tokenreview_requests_total{code="201"} 1
	// authchain_token_cache_requests_total{cache="tokenreview",status="hit"} 2
	// authchain_token_cache_requests_total{cache="tokenreview",status="miss"} 1
}

// An OIDC key set is read on each scrape: when it was fetched, how many
// keys it holds, and a hash of its kids that changes when the issuer
// rotates them. The issuer is a hash too, never its URL.
func ExampleMetrics_KeySet() {
	signer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &signer.PublicKey, KeyID: "key-1", Use: "sig"}}})
	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "jwks_uri": srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(set) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keys, err := jwks.OIDC(ctx, srv.URL, jwks.WithHTTPClient(srv.Client()))
	if err != nil {
		panic(err)
	}
	defer keys.Close()
	_, _ = keys.Key(ctx, "key-1") // waits for the first fetch

	reg := prometheus.NewRegistry()
	m, err := authnmetrics.New(reg)
	if err != nil {
		panic(err)
	}
	if err := m.KeySet(keys); err != nil {
		panic(err)
	}
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if !strings.HasPrefix(line, "authchain_jwks_") {
			continue
		}
		line = strings.ReplaceAll(line, authnmetrics.IssuerHash(srv.URL), "<issuer hash>")
		if name, _, ok := strings.Cut(line, "} "); ok && strings.HasPrefix(name, "authchain_jwks_last_fetch") {
			line = name + "} <now>"
		}
		fmt.Println(line)
	}
	fmt.Println(strings.Contains(rec.Body.String(), srv.URL))
	// Output:
	// authchain_jwks_key_set_info{issuer_hash="<issuer hash>",key_set_hash="be2974546978e373"} 1
	// authchain_jwks_keys{issuer_hash="<issuer hash>"} 1
	// authchain_jwks_last_fetch_timestamp_seconds{issuer_hash="<issuer hash>"} <now>
	// false
}

// The ServiceAccount cache is read on each scrape.
func ExampleMetrics_ServiceAccountCache() {
	ctx, cancel := context.WithCancel(context.Background())
	client := fake.NewClientset(
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "keys", Name: "key-1"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "keys", Name: "key-2"}})
	cache, err := kubecache.New(ctx, client)
	if err != nil {
		panic(err)
	}
	defer func() { cancel(); cache.Shutdown() }()
	cache.WaitForSync(ctx, 10*time.Second)

	reg := prometheus.NewRegistry()
	m, err := authnmetrics.New(reg)
	if err != nil {
		panic(err)
	}
	if err := m.ServiceAccountCache(cache); err != nil {
		panic(err)
	}
	printMetrics(reg, "authchain_serviceaccount_cache_")
	// Output:
	// authchain_serviceaccount_cache_objects 2
	// authchain_serviceaccount_cache_stale 0
	// authchain_serviceaccount_cache_synced 1
}

// An issuer's label is a hash of its URL; the shell finds it the same way.
func ExampleIssuerHash() {
	// printf %s https://kubernetes.default.svc.cluster.local | sha256sum | cut -c1-16
	fmt.Println(authnmetrics.IssuerHash("https://kubernetes.default.svc.cluster.local"))
	// Output: 4f3059dd6868496c
}

// The duration buckets are Kubernetes' for authentication latency.
func ExampleDurationBuckets() {
	b := authnmetrics.DurationBuckets()
	fmt.Println(len(b), b[0], b[len(b)-1])
	// Output: 15 0.001 16.384
}
