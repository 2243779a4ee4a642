package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/authnmetrics"
	"github.com/authchain/authchain/internal/setup"
	"github.com/authchain/authchain/internal/tokentest"
)

// The metrics the issue names, with their types.
var wantMetrics = map[string]string{
	"authchain_authentication_attempts_total":     "counter",
	"authchain_authentication_duration_seconds":   "histogram",
	"authchain_token_cache_requests_total":        "counter",
	"authchain_token_cache_fetches_total":         "counter",
	"authchain_token_cache_active_fetches":        "gauge",
	"authchain_tokenreview_requests_total":        "counter",
	"authchain_jwks_last_fetch_timestamp_seconds": "gauge",
	"authchain_jwks_keys":                         "gauge",
	"authchain_jwks_key_set_info":                 "gauge",
	"authchain_serviceaccount_cache_synced":       "gauge",
	"authchain_serviceaccount_cache_stale":        "gauge",
	"authchain_serviceaccount_cache_objects":      "gauge",
}

// fakeOIDCIssuer serves discovery and a JWKS of the test keys over TLS.
func fakeOIDCIssuer(t *testing.T) *httptest.Server {
	t.Helper()
	k := tokentest.Keys()
	set := tokentest.JWKS(t, &k.RSA.PublicKey)
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "jwks_uri": srv.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(set) })
	srv = httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// scrapeText GETs url and returns the body.
func scrapeText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return string(body)
}

// metricTypes returns the "# TYPE name type" lines of a scrape as a map.
func metricTypes(text string) map[string]string {
	types := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			types[f[2]] = f[3]
		}
	}
	return types
}

// TestMetricsScrape builds whoami's server as run does with
// -metrics-listen (the metrics hooked in by buildOnce, the chain wrapped,
// /metrics on a handler of its own), with every component that reports:
// an OIDC key set, TokenReview and the ServiceAccount cache. It drives
// requests carrying distinctive user names, tokens and header values,
// scrapes /metrics over HTTP, and checks that every metric is there with
// its type and that no secret, name or header value is.
func TestMetricsScrape(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cache, err := setup.FakeCache(ctx, bytes.NewReader(demoCluster))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cache.Shutdown() })
	if !cache.WaitForSync(ctx, 10*time.Second) {
		t.Fatal("cache did not sync")
	}

	issuer := fakeOIDCIssuer(t)
	// The API server quotes the token back, as some authenticators do.
	reviews := fake.NewClientset()
	reviews.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
		tr.Status = authenticationv1.TokenReviewStatus{Error: "invalid token " + tr.Spec.Token}
		return true, tr, nil
	})

	o, err := parseFlags([]string{"-metrics-listen", "127.0.0.1:0", "-audience", tokentest.Audience, "-issuer", issuer.URL}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// -tokenreview, on the fake API server rather than a -kubeconfig.
	o.tokenReview = true
	cfg, err := o.flagConfiguration()
	if err != nil {
		t.Fatal(err)
	}
	registry, metrics, err := newMetrics()
	if err != nil {
		t.Fatal(err)
	}
	built, err := buildOnce(ctx, cfg, authnconfig.Deps{ServiceAccounts: cache, Kubernetes: reviews, HTTPClient: issuer.Client()}, cache, metrics)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(built.Close)
	if len(built.KeySets) != 1 {
		t.Fatalf("%d key sets found by discovery, want 1", len(built.KeySets))
	}
	keys := built.KeySets[0]
	handler, err := newHandler(metrics.Authenticator(built.Chain), cache.HasSynced, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(handler)
	defer app.Close()
	metricsSrv := httptest.NewServer(newMetricsHandler(registry))
	defer metricsSrv.Close()
	waitUntil(ctx, 10*time.Second, keys.Synced)
	if !keys.Synced() {
		t.Fatal("key set did not sync")
	}

	now := time.Now()
	const subject = "system:serviceaccount:demo:ambient-key-alice-write"
	k := tokentest.Keys()
	keyToken := tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, tokentest.KubeKID(t, &k.RSA.PublicKey), tokentest.Claims(
		tokentest.Set("iss", issuer.URL), tokentest.Set("sub", subject),
		tokentest.Set("iat", now.Unix()), tokentest.Set("nbf", now.Unix()), tokentest.Set("exp", now.Add(time.Hour).Unix()),
		tokentest.Set("jti", "jti-secret-5b2e"),
		tokentest.SetK8s("namespace", "demo"), tokentest.SetK8s("pod", nil), tokentest.SetK8s("node", nil),
		tokentest.SetK8s("serviceaccount", map[string]any{"name": "ambient-key-alice-write", "uid": "6f1c2a5e-0d7b-4a53-9a51-2b3908aa0001"})))
	// A token of another issuer goes to TokenReview, which refuses it.
	reviewToken := tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA2, "kid-secret-91d4", tokentest.Claims(
		tokentest.Set("iss", "https://other-issuer-secret.example.com"), tokentest.Set("sub", "user-secret-44aa")))
	const (
		human      = "human-secret-3e7d@example.com"
		groups     = "group-secret-a1b2"
		otherValue = "header-secret-c3d4"
	)
	for _, req := range []struct {
		headers map[string]string
		status  int
	}{
		{map[string]string{"X-Forwarded-User": subject, "Authorization": "Bearer " + keyToken}, 200},
		{map[string]string{"X-Forwarded-User": subject, "Authorization": "Bearer " + keyToken}, 200},
		{map[string]string{"X-Forwarded-User": human, "X-Forwarded-Email": human, "X-Forwarded-Groups": groups, "X-Other": otherValue}, 200},
		{map[string]string{"Authorization": "Bearer " + reviewToken, "X-Other": otherValue}, 401},
		{map[string]string{"X-Forwarded-User": "Bad User " + otherValue}, 0},
		{map[string]string{}, 401},
	} {
		r, _ := http.NewRequest(http.MethodGet, app.URL+"/whoami", nil)
		for k, v := range req.headers {
			r.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.status != 0 && resp.StatusCode != req.status {
			t.Errorf("request %v: status %d, want %d", req.headers, resp.StatusCode, req.status)
		}
	}

	text := scrapeText(t, metricsSrv.URL+"/metrics")
	types := metricTypes(text)
	for name, typ := range wantMetrics {
		if types[name] != typ {
			t.Errorf("%s: type %q, want %q", name, types[name], typ)
		}
	}
	for _, line := range []string{
		`authchain_authentication_attempts_total{result="success",strategy="annotation"} 2`,
		`authchain_authentication_attempts_total{result="rejected",strategy="tokenreview"} 1`,
		`authchain_token_cache_requests_total{cache="jwt",status="hit"} 1`,
		`authchain_token_cache_requests_total{cache="jwt",status="miss"} 2`,
		`authchain_token_cache_fetches_total{cache="jwt",status="ok"} 2`,
		`authchain_token_cache_requests_total{cache="tokenreview",status="miss"} 1`,
		`authchain_tokenreview_requests_total{code="201"} 1`,
		`authchain_serviceaccount_cache_synced 1`,
		`authchain_serviceaccount_cache_objects 4`,
		`authchain_jwks_keys{issuer_hash="` + authnmetricsIssuerHash(issuer.URL) + `"} 1`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("scrape lacks %s", line)
		}
	}

	// No secret, in whole or in part: tokens and their segments, names,
	// header values, the issuer's URL.
	secrets := []string{human, groups, otherValue, subject, "ambient-key-alice-write", "alice@example.com",
		"jti-secret-5b2e", "kid-secret-91d4", "user-secret-44aa", "other-issuer-secret", issuer.URL, strings.TrimPrefix(issuer.URL, "https://")}
	for _, tok := range []string{keyToken, reviewToken} {
		secrets = append(secrets, tok)
		secrets = append(secrets, strings.Split(tok, ".")...)
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("scrape contains %.40q", s)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", text)
	}

	// The metrics handler serves /metrics alone; the app does not serve it.
	for url, want := range map[string]int{metricsSrv.URL + "/whoami": 404, app.URL + "/metrics": 404} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", url, resp.StatusCode, want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestMetricsListenFlag runs whoami with -metrics-listen and scrapes the
// address it logs; without the flag no metrics server is started.
func TestMetricsListenFlag(t *testing.T) {
	for _, withMetrics := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		args := []string{"-listen", "127.0.0.1:0", "-log-format", "json"}
		if withMetrics {
			args = append(args, "-metrics-listen", "127.0.0.1:0")
		}
		var stderr syncBuffer
		done := make(chan int)
		go func() { done <- run(ctx, args, strings.NewReader(""), io.Discard, &stderr) }()
		addr := func(msg string) string {
			for _, line := range strings.Split(stderr.String(), "\n") {
				var rec struct{ Msg, Addr string }
				if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
					return rec.Addr
				}
			}
			return ""
		}
		waitUntil(ctx, 10*time.Second, func() bool { return addr("serving") != "" })
		if withMetrics {
			text := scrapeText(t, "http://"+addr("serving metrics")+"/metrics")
			types := metricTypes(text)
			for _, name := range []string{"authchain_authentication_attempts_total", "authchain_serviceaccount_cache_synced", "go_goroutines"} {
				if types[name] == "" {
					t.Errorf("-metrics-listen: no %s", name)
				}
			}
		} else if a := addr("serving metrics"); a != "" {
			t.Errorf("without -metrics-listen, metrics served on %s", a)
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d, stderr %s", code, stderr.String())
		}
	}
}

// authnmetricsIssuerHash is authnmetrics.IssuerHash, named apart so the
// test reads as the label it checks.
var authnmetricsIssuerHash = authnmetrics.IssuerHash
