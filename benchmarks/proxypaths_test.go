package benchmarks_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/setup"
	"github.com/authchain/authchain/kubecache"
)

// The other header paths of issue 11's goals, timed beside
// BenchmarkAuthchainFullChainHuman: the same four-strategy chain of
// setup.Config reading oauth2-proxy's headers instead of the front proxy's.
// Kubernetes has no authenticator for either request, so they are compared
// with the front-proxy figures of the same run.

// oauth2ProxyHuman is what oauth2-proxy forwards for a human: its groups
// joined with commas in one header.
var oauth2ProxyHuman = http.Header{
	"X-Forwarded-User":   {"alice"},
	"X-Forwarded-Email":  {"alice@example.com"},
	"X-Forwarded-Groups": {"dev,ops"},
}

// oauth2ProxyAccessKey is an access key of benchCluster named by its
// ServiceAccount subject; the annotation names its creator.
var oauth2ProxyAccessKey = http.Header{"X-Forwarded-User": {"system:serviceaccount:bench:annotated-key"}}

// oauth2ProxyChain is the full chain for oauth2-proxy's headers. The
// subject is believed without a token, so the benchmark times the header
// and annotation path and not a token verification.
func oauth2ProxyChain(b *testing.B) *authn.Chain {
	b.Helper()
	chain, err := setup.Config{
		TrustCIDRs:                           []string{"10.0.0.0/8"},
		RequireLabels:                        map[string]string{"app": "ambient-access-key"},
		InsecureForwardedSubjectWithoutToken: true,
	}.Chain(benchCache(b))
	if err != nil {
		b.Fatal(err)
	}
	return chain
}

// benchCache serves benchCluster until b ends.
func benchCache(b *testing.B) *kubecache.Cache {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cache, err := setup.FakeCache(ctx, strings.NewReader(benchCluster))
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); cache.Shutdown() })
	return cache
}

// benchPrincipal times chain on headers after checking once that it
// resolves them to user, through actor when actor is not "".
func benchPrincipal(b *testing.B, chain *authn.Chain, headers http.Header, user, actor string) {
	r := newRequest()
	restoreHeaders(r, headers)
	p, _, err := chain.Authenticate(r)
	if err != nil {
		b.Fatal(err)
	}
	gotActor := ""
	if p.Actor != nil {
		gotActor = p.Actor.Name
	}
	if p.User.Name != user || gotActor != actor {
		b.Fatalf("principal = %+v, want user %s through %q", p, user, actor)
	}
	b.ReportAllocs()
	for b.Loop() {
		restoreHeaders(r, headers)
		if _, _, err := chain.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthchainFullChainOAuth2ProxyHuman: a human through
// oauth2-proxy (user, email, two groups in one header). 2 allocs/op: the
// groups, and the trace with Via.
func BenchmarkAuthchainFullChainOAuth2ProxyHuman(b *testing.B) {
	benchPrincipal(b, oauth2ProxyChain(b), oauth2ProxyHuman, "alice", "")
}

// BenchmarkAuthchainFullChainAccessKeyAnnotation: an access key named by
// oauth2-proxy's user header, its creator read from the annotation in the
// informer cache. 4 allocs/op: the trace with Via, the Actor from the
// subject and again with its uid, and the cache's look-up.
func BenchmarkAuthchainFullChainAccessKeyAnnotation(b *testing.B) {
	benchPrincipal(b, oauth2ProxyChain(b), oauth2ProxyAccessKey, "alice@example.com", "annotated-key")
}
