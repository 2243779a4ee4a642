package authchain_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntest"
	"github.com/authchain/authchain/internal/setup"
)

// benchCluster is the cluster every chain benchmark reads: one annotated
// access key and one without a creator.
const benchCluster = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: annotated-key
  namespace: bench
  uid: u-1
  labels: {app: ambient-access-key}
  annotations: {ambient-code.io/created-by-user-id: alice@example.com}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: bare-key
  namespace: bench
  uid: u-2
  labels: {app: ambient-access-key}
`

func benchChain(b testing.TB) *authn.Chain {
	b.Helper()
	cache, _ := authntest.Cluster(b, []byte(benchCluster))
	// The access-key benchmarks measure the annotation look-up, so the
	// subject is believed without a token.
	chain, err := setup.Config{
		TrustCIDRs:                           []string{"10.0.0.0/8"},
		RequireLabels:                        map[string]string{"app": "ambient-access-key"},
		InsecureForwardedSubjectWithoutToken: true,
	}.Chain(cache)
	if err != nil {
		b.Fatal(err)
	}
	return chain
}

// benchPath runs the chain on a request with headers. The forwarded strategy
// strips identity headers, so each iteration restores them from a template;
// BenchmarkChainHeaderRestore measures that restore alone (its cost is part
// of every figure below and should be subtracted when comparing).
func benchPath(b *testing.B, peer string, headers http.Header, wantErr bool) {
	chain := benchChain(b)
	r := benchRequest(peer)
	b.ReportAllocs()
	for b.Loop() {
		restoreHeaders(r, headers)
		_, _, err := chain.Authenticate(r)
		if (err != nil) != wantErr {
			b.Fatalf("err = %v, want error %v", err, wantErr)
		}
	}
}

func benchRequest(peer string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	r.RemoteAddr = peer
	return r
}

// The requests of the benchmarks below.
var (
	benchHuman = http.Header{
		"X-Forwarded-User":   {"alice"},
		"X-Forwarded-Email":  {"alice@example.com"},
		"X-Forwarded-Groups": {"dev,ops"},
	}
	benchAnnotatedKey = http.Header{"X-Forwarded-User": {"system:serviceaccount:bench:annotated-key"}}
	benchBareKey      = http.Header{"X-Forwarded-User": {"system:serviceaccount:bench:bare-key"}}
)

// TestChainAllocs holds the allocation counts written on the benchmarks.
func TestChainAllocs(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("allocation guard: not under -short or -race")
	}
	chain := benchChain(t)
	for _, tt := range []struct {
		name    string
		peer    string
		headers http.Header
		max     float64
	}{
		{"human", "10.0.0.1:5000", benchHuman, 2},
		{"annotated key", "10.0.0.1:5000", benchAnnotatedKey, 4},
		{"key without a creator", "10.0.0.1:5000", benchBareKey, 5},
		{"untrusted peer", "192.0.2.1:5000", http.Header{"X-Forwarded-User": {"alice"}}, 2},
	} {
		r := benchRequest(tt.peer)
		if n := testing.AllocsPerRun(100, func() {
			restoreHeaders(r, tt.headers)
			_, _, _ = chain.Authenticate(r)
		}); n > tt.max {
			t.Errorf("%s: %v allocs/op, want at most %v", tt.name, n, tt.max)
		}
	}
}

func restoreHeaders(r *http.Request, headers http.Header) {
	for k, v := range headers {
		r.Header[k] = v
	}
}

// BenchmarkChainHeaderRestore is the per-iteration harness cost of the chain
// benchmarks: 0 allocs/op.
func BenchmarkChainHeaderRestore(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	h := http.Header{"X-Forwarded-User": {"alice"}, "X-Forwarded-Email": {"alice@example.com"}, "X-Forwarded-Groups": {"dev,ops"}}
	b.ReportAllocs()
	for b.Loop() {
		restoreHeaders(r, h)
		clear(r.Header)
	}
}

// BenchmarkChainHuman: a human through the trusted proxy (user, email,
// groups); the full four-strategy chain. 2 allocs/op: the groups, and the
// trace with Via.
func BenchmarkChainHuman(b *testing.B) {
	benchPath(b, "10.0.0.1:5000", benchHuman, false)
}

// BenchmarkChainAccessKeyAnnotation: an access key whose creator annotation
// is served from the informer cache. 4 allocs/op: the trace with Via, the
// Actor twice (from the subject, then with its uid), and the cache's one.
func BenchmarkChainAccessKeyAnnotation(b *testing.B) {
	benchPath(b, "10.0.0.1:5000", benchAnnotatedKey, false)
}

// BenchmarkChainAccessKeySynthetic: an access key without a creator
// annotation, resolved to the synthetic id. 5 allocs/op: the trace with
// Via, the Actor, the cache's one, the subject string and the legacy id.
func BenchmarkChainAccessKeySynthetic(b *testing.B) {
	benchPath(b, "10.0.0.1:5000", benchBareKey, false)
}

// BenchmarkChainRejectUntrusted: identity headers from an untrusted peer.
// 2 allocs/op: the trace (with room for Via) and the error (the reason is
// a constant).
func BenchmarkChainRejectUntrusted(b *testing.B) {
	benchPath(b, "192.0.2.1:5000", http.Header{"X-Forwarded-User": {"alice"}}, true)
}

// BenchmarkChainHumanBrowserForged: BenchmarkChainHuman's request with what
// a browser sends beside it (eight ordinary headers) and three forged
// identity headers of other proxies, which the chain strips after the
// strategies ran. The stripping allocates nothing: 2 allocs/op, as
// BenchmarkChainHuman. Measured (go1.26, 2 shared cores, best of ten):
// ~2.9 µs/op, against ~2.4 µs/op for the same request through a chain that
// did not strip (which left the three forged headers in place); the
// difference is the pass over eleven headers, deleting three, and putting
// them back each round. BenchmarkChainHuman did not move (~1.5 µs/op).
func BenchmarkChainHumanBrowserForged(b *testing.B) {
	benchPath(b, "10.0.0.1:5000", http.Header{
		"X-Forwarded-User":   {"alice"},
		"X-Forwarded-Email":  {"alice@example.com"},
		"X-Forwarded-Groups": {"dev,ops"},
		"Accept":             {"text/html,application/xhtml+xml"},
		"Accept-Encoding":    {"gzip, deflate, br"},
		"Accept-Language":    {"en-US,en;q=0.9"},
		"Cookie":             {"_oauth2_proxy=abc"},
		"User-Agent":         {"Mozilla/5.0"},
		"X-Forwarded-For":    {"198.51.100.4"},
		"X-Forwarded-Proto":  {"https"},
		"X-Request-Id":       {"4f2c"},
		"X-Remote-User":      {"mallory"},
		"X_Remote_Group":     {"system:masters"},
		"Impersonate-User":   {"admin"},
	}, false)
}
