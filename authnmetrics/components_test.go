package authnmetrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authnmetrics"
)

// TestTokenCache: a bearer.Cache observed by TokenCache counts hits and
// misses, fetches by how they ended, and the fetches in progress, under
// its cache label.
func TestTokenCache(t *testing.T) {
	m, reg := newMetrics(t)
	obs, err := m.TokenCache("custom")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	c, err := bearer.NewCache(func(_ context.Context, token string, _ []string) (bearer.Verdict[string], error) {
		switch token {
		case "slow":
			entered <- struct{}{}
			<-release
		case "broken":
			return bearer.Verdict[string]{}, errors.New("backend down")
		case "bad":
			return bearer.Verdict[string]{Invalid: "unknown key"}, nil
		}
		return bearer.Verdict[string]{Value: token}, nil
	}, bearer.WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, tok := range []string{"good", "good", "good", "bad", "bad", "broken"} {
		_, _ = c.Get(ctx, tok, nil)
	}
	want(t, reg, "authchain_token_cache_requests_total", "cache=custom,status=hit", 3)
	want(t, reg, "authchain_token_cache_requests_total", "cache=custom,status=miss", 3)
	want(t, reg, "authchain_token_cache_fetches_total", "cache=custom,status=ok", 2)
	want(t, reg, "authchain_token_cache_fetches_total", "cache=custom,status=error", 1)
	want(t, reg, "authchain_token_cache_active_fetches", "cache=custom", 0)

	done := make(chan struct{})
	go func() { _, _ = c.Get(context.Background(), "slow", nil); close(done) }()
	<-entered
	want(t, reg, "authchain_token_cache_active_fetches", "cache=custom", 1)
	close(release)
	<-done
	want(t, reg, "authchain_token_cache_active_fetches", "cache=custom", 0)
	want(t, reg, "authchain_token_cache_fetches_total", "cache=custom,status=ok", 3)

	// The same name shares the counters.
	again, err := m.TokenCache("custom")
	if err != nil {
		t.Fatal(err)
	}
	again.CacheRequest(true)
	want(t, reg, "authchain_token_cache_requests_total", "cache=custom,status=hit", 4)
}

// TestTokenCacheName: a name that could carry more than a strategy name
// is refused.
func TestTokenCacheName(t *testing.T) {
	m, _ := newMetrics(t)
	for _, name := range []string{"", "JWT", "alice@example.com", "a b", "-jwt", strings.Repeat("a", 64)} {
		if o, err := m.TokenCache(name); err == nil || o != nil {
			t.Errorf("TokenCache(%q) = %v, %v; want an error", name, o, err)
		}
	}
}

// TestTokenReviewCall: a status or a known class is its own label; any
// other text is "error".
func TestTokenReviewCall(t *testing.T) {
	m, reg := newMetrics(t)
	for _, code := range []string{"201", "201", "403", "429", "503", "limited", "timeout", "canceled", "error",
		"Bearer abc", "600", "099", "20", "2011", "alice@example.com", ""} {
		m.TokenReviewCall(code)
	}
	const name = "authchain_tokenreview_requests_total"
	want(t, reg, name, "code=201", 2)
	for _, code := range []string{"403", "429", "503", "limited", "timeout", "canceled"} {
		want(t, reg, name, "code="+code, 1)
	}
	want(t, reg, name, "code=error", 8)
	if n := testutil.CollectAndCount(reg, name); n != 8 {
		t.Errorf("%d series, want 8", n)
	}
}

// fakeKeySet is a KeySetState with fixed answers.
type fakeKeySet struct {
	issuer string
	at     time.Time
	kids   []string
}

func (f *fakeKeySet) Issuer() string       { return f.issuer }
func (f *fakeKeySet) FetchedAt() time.Time { return f.at }
func (f *fakeKeySet) KeyIDs() []string     { return f.kids }

// TestKeySet: the fetch time, the number of keys and the key-set info are
// read on each scrape, under the issuer's hash; the URL is never exported.
func TestKeySet(t *testing.T) {
	m, reg := newMetrics(t)
	const issuer = "https://issuer.secret-cluster.example.com"
	ks := &fakeKeySet{issuer: issuer}
	if err := m.KeySet(ks); err != nil {
		t.Fatal(err)
	}
	hash := "issuer_hash=" + authnmetrics.IssuerHash(issuer)
	want(t, reg, "authchain_jwks_last_fetch_timestamp_seconds", hash, 0)
	want(t, reg, "authchain_jwks_keys", hash, 0)
	if n := testutil.CollectAndCount(reg, "authchain_jwks_key_set_info"); n != 0 {
		t.Errorf("key-set info before any fetch: %d series, want none", n)
	}

	ks.at, ks.kids = time.Unix(1_700_000_000, 500_000_000), []string{"kid-b", "kid-a"}
	want(t, reg, "authchain_jwks_last_fetch_timestamp_seconds", hash, 1_700_000_000.5)
	want(t, reg, "authchain_jwks_keys", hash, 2)
	info := func() string {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == "authchain_jwks_key_set_info" && len(f.GetMetric()) == 1 {
				return labelString(f.GetMetric()[0])
			}
		}
		t.Fatal("no single authchain_jwks_key_set_info series")
		return ""
	}
	first := info()
	ks.kids = []string{"kid-a", "kid-b"}
	if got := info(); got != first {
		t.Errorf("same kids in another order: %s, was %s", got, first)
	}
	ks.kids = []string{"kid-a", "kid-c"}
	if got := info(); got == first || !strings.HasPrefix(got, hash+",key_set_hash=") {
		t.Errorf("after a rotation: %s (was %s); want a new key_set_hash under %s", got, first, hash)
	}
	if text := scrape(t, reg); strings.Contains(text, "secret-cluster") || strings.Contains(text, "kid-") {
		t.Errorf("scrape shows the issuer URL or a kid:\n%s", text)
	}

	for name, k := range map[string]authnmetrics.KeySetState{
		"nil":          nil,
		"nil pointer":  (*fakeKeySet)(nil),
		"empty issuer": &fakeKeySet{},
		"same issuer":  &fakeKeySet{issuer: issuer},
	} {
		if err := m.KeySet(k); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestIssuerHash: 16 hex digits of the URL's SHA-256, as the shell
// one-liner in its doc computes them.
func TestIssuerHash(t *testing.T) {
	// printf %s https://kubernetes.default.svc.cluster.local | sha256sum | cut -c1-16
	if got, want := authnmetrics.IssuerHash("https://kubernetes.default.svc.cluster.local"), "4f3059dd6868496c"; got != want {
		t.Errorf("IssuerHash = %q, want %q", got, want)
	}
	if authnmetrics.IssuerHash("https://a.example") == authnmetrics.IssuerHash("https://b.example") {
		t.Error("two issuers share a hash")
	}
}

// fakeSACache is a ServiceAccountCacheState with fixed answers.
type fakeSACache struct {
	synced, stale bool
	n             int
}

func (f *fakeSACache) HasSynced() bool { return f.synced }
func (f *fakeSACache) Stale() bool     { return f.stale }
func (f *fakeSACache) Len() int        { return f.n }

// TestServiceAccountCache: synced, stale and objects are read on each
// scrape; one cache per Metrics.
func TestServiceAccountCache(t *testing.T) {
	m, reg := newMetrics(t)
	if n := testutil.CollectAndCount(reg, "authchain_serviceaccount_cache_synced"); n != 0 {
		t.Errorf("before a cache is given: %d series, want none", n)
	}
	c := &fakeSACache{}
	if err := m.ServiceAccountCache(c); err != nil {
		t.Fatal(err)
	}
	want(t, reg, "authchain_serviceaccount_cache_synced", "", 0)
	want(t, reg, "authchain_serviceaccount_cache_stale", "", 0)
	want(t, reg, "authchain_serviceaccount_cache_objects", "", 0)
	c.synced, c.stale, c.n = true, true, 42
	want(t, reg, "authchain_serviceaccount_cache_synced", "", 1)
	want(t, reg, "authchain_serviceaccount_cache_stale", "", 1)
	want(t, reg, "authchain_serviceaccount_cache_objects", "", 42)
	for name, other := range map[string]authnmetrics.ServiceAccountCacheState{
		"nil": nil, "nil pointer": (*fakeSACache)(nil), "second": &fakeSACache{},
	} {
		if err := m.ServiceAccountCache(other); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestNew: a nil registerer, or one that already holds the metrics, is an
// error.
func TestNew(t *testing.T) {
	if m, err := authnmetrics.New(nil); err == nil || m != nil {
		t.Errorf("New(nil) = %v, %v", m, err)
	}
	reg := prometheus.NewRegistry()
	if _, err := authnmetrics.New(reg); err != nil {
		t.Fatal(err)
	}
	if m, err := authnmetrics.New(reg); err == nil || m != nil {
		t.Errorf("registering twice: %v, %v", m, err)
	}
	// A registry holding one of the names takes none of the others.
	// Once it is free again, New succeeds.
	partial := prometheus.NewRegistry()
	// The last metric New registers, so that all the others came first;
	// the same help, as a registry remembers a name's help for good.
	taken := prometheus.NewGauge(prometheus.GaugeOpts{Name: "authchain_serviceaccount_cache_objects", Help: "Number of ServiceAccounts in the cache."})
	partial.MustRegister(taken)
	if m, err := authnmetrics.New(partial); err == nil || m != nil {
		t.Errorf("name taken: %v, %v", m, err)
	}
	partial.Unregister(taken)
	if _, err := authnmetrics.New(partial); err != nil {
		t.Errorf("after the name was freed: %v", err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
}
