package authnconfig

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/binding"
	"github.com/authchain/authchain/internal/tokentest"
	"github.com/authchain/authchain/kubecache"
)

const header = "apiVersion: authchain.dev/v1alpha1\nkind: ChainConfiguration\n"

const bindingKey = "binding-key-for-the-config-tests-0123456789"

// cluster holds the access keys of the tests: ci-key of team-a, created by
// alice with a signed binding, and bare-key, without a creator.
var cluster = staticReader{
	"team-a/ci-key": {
		Namespace: "team-a", Name: "ci-key", UID: "uid-ci-key",
		Labels: map[string]string{"app": "ambient-access-key"},
		Annotations: map[string]string{
			strategies.DefaultCreatorAnnotation: "alice",
			binding.DefaultAnnotation: mustSign(binding.Binding{
				Namespace: "team-a", Name: "ci-key", UID: "uid-ci-key", Creator: "alice"}),
		},
	},
	"team-a/bare-key": {Namespace: "team-a", Name: "bare-key", UID: "uid-bare-key"},
}

func mustSign(b binding.Binding) string {
	s, err := binding.Sign([]byte(bindingKey), b)
	if err != nil {
		panic(err)
	}
	return s
}

type staticReader map[string]strategies.ServiceAccountMeta

func (s staticReader) ServiceAccount(ns, name string) (strategies.ServiceAccountMeta, bool, error) {
	sa, ok := s[ns+"/"+name]
	return sa, ok, nil
}

func (staticReader) HasSynced() bool { return true }

// reviewer answers TokenReviews: token is ci-key's, for audience console.
func reviewer(token string) *fake.Clientset {
	client := fake.NewClientset()
	client.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
		if tr.Spec.Token == token && slices.Contains(tr.Spec.Audiences, "console") {
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: []string{"console"},
				User: authenticationv1.UserInfo{Username: "system:serviceaccount:team-a:ci-key", UID: "uid-ci-key"}}
		}
		return true, tr, nil
	})
	return client
}

func request(peer string, headers ...string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = peer
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

// TestStrategies builds a chain of each kind of strategy from a file and
// runs a request through it: the file's settings must reach the strategy.
func TestStrategies(t *testing.T) {
	token := tokentest.RSA(t, tokentest.Claims())
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"jwks.json":     tokentest.StaticJWKS(t),
		"proxy-secret":  []byte("proxy-secret-for-the-config-tests-0123"),
		"binding-key":   []byte(bindingKey),
		"old-key":       []byte("an-older-binding-key-no-longer-used-000"),
		"proxy-ca.pem":  mustRead(t, "testdata/files/proxy-ca.pem"),
		"unrelated.pem": mustRead(t, "testdata/files/partner-keys.pem"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const jwtIssuer = "  - jwt:\n      issuer: " + tokentest.Issuer + "\n      jwksFile: jwks.json\n      audiences: [" + tokentest.Audience + "]\n"
	for _, tc := range []struct {
		name       string
		strategies string
		req        *http.Request
		kube       *fake.Clientset
		chain      []string
		user       string
		actor      string
		status     int // of the error; 0 for none
		stripped   string
	}{{
		name:       "forwarded, preset and CIDRs",
		strategies: "  - forwarded:\n      preset: nginx\n      trust: {cidrs: [10.0.0.0/8]}\n",
		req:        request("10.1.2.3:4000", "X-Auth-Request-User", "alice", "X-Auth-Request-Groups", "devs,ops"),
		chain:      []string{"forwarded"},
		user:       "alice",
	}, {
		name:       "forwarded from an untrusted peer",
		strategies: "  - forwarded:\n      trust: {cidrs: [10.0.0.0/8]}\n",
		req:        request("192.168.1.2:4000", "X-Forwarded-User", "alice"),
		chain:      []string{"forwarded"},
		status:     401,
	}, {
		name: "forwarded, custom headers and a shared secret",
		strategies: "  - forwarded:\n      headers: {user: X-Remote-User, groups: X-Remote-Group}\n" +
			"      maxGroups: 1\n      trust:\n        sharedSecret: {header: X-Proxy-Secret, secretFile: proxy-secret}\n",
		req:      request("192.168.1.2:4000", "X-Remote-User", "bob", "X-Proxy-Secret", "proxy-secret-for-the-config-tests-0123"),
		chain:    []string{"forwarded"},
		user:     "bob",
		stripped: "X-Proxy-Secret",
	}, {
		name: "forwarded, maxGroups applies",
		strategies: "  - forwarded:\n      headers: {user: X-Remote-User, groups: X-Remote-Group}\n" +
			"      maxGroups: 1\n      trust:\n        sharedSecret: {header: X-Proxy-Secret, secretFile: proxy-secret}\n",
		req: request("192.168.1.2:4000", "X-Remote-User", "bob", "X-Remote-Group", "a", "X-Remote-Group", "b",
			"X-Proxy-Secret", "proxy-secret-for-the-config-tests-0123"),
		chain:  []string{"forwarded"},
		status: 401,
	}, {
		name:       "forwarded, a client certificate is required",
		strategies: "  - forwarded:\n      trust:\n        clientCertificate: {caFile: proxy-ca.pem, names: [proxy]}\n",
		req:        request("10.1.2.3:4000", "X-Forwarded-User", "alice"),
		chain:      []string{"forwarded"},
		status:     401,
	}, {
		name:       "jwt from a JWKS file",
		strategies: jwtIssuer + "  - synthetic: {}\n",
		req:        tokentest.Request(token),
		chain:      []string{"jwt", "synthetic"},
		user:       authn.LegacyID("system:serviceaccount:team-a:builder"),
		actor:      "system:serviceaccount:team-a:builder",
	}, {
		name: "jwt issuers under their names",
		strategies: "  - jwt:\n      name: partner\n      issuer: https://partner.example.com\n      jwksFile: unrelated.pem\n      audiences: [x]\n" +
			jwtIssuer + "  - synthetic: {}\n",
		req:   tokentest.Request(token),
		chain: []string{"partner", "jwt", "synthetic"},
		user:  authn.LegacyID("system:serviceaccount:team-a:builder"),
		actor: "system:serviceaccount:team-a:builder",
	}, {
		name: "jwt audiences apply",
		strategies: "  - jwt:\n      issuer: " + tokentest.Issuer + "\n      jwksFile: jwks.json\n      audiences: [another-service]\n" +
			"  - synthetic: {}\n",
		req:    tokentest.Request(token),
		chain:  []string{"jwt", "synthetic"},
		status: 401,
	}, {
		name: "jwt from X-Forwarded-Access-Token, under the forwarded trust",
		strategies: "  - forwarded:\n      trust: {cidrs: [10.0.0.0/8]}\n" +
			strings.Replace(jwtIssuer, "audiences:", "tokenSource: forwardedAccessToken\n      audiences:", 1) + "  - synthetic: {}\n",
		req:   request("10.1.2.3:4000", "X-Forwarded-Access-Token", token),
		chain: []string{"forwarded", "jwt", "synthetic"},
		user:  authn.LegacyID("system:serviceaccount:team-a:builder"),
		actor: "system:serviceaccount:team-a:builder",
	}, {
		name:       "tokenReview",
		strategies: "  - tokenReview:\n      audiences: [console]\n      limits: {rate: 5, burst: 1, maxInFlight: 1, timeout: 2s}\n      cache: {successTTL: 0s, failureTTL: 0s}\n  - annotation:\n      bindingKeyFiles: [binding-key, old-key]\n",
		req:        tokentest.Request(token),
		kube:       reviewer(token),
		chain:      []string{"tokenreview", "annotation"},
		user:       "alice",
		actor:      "system:serviceaccount:team-a:ci-key",
	}, {
		name:       "tokenReview audiences apply",
		strategies: "  - tokenReview:\n      audiences: [another-service]\n",
		req:        tokentest.Request(token),
		kube:       reviewer(token),
		chain:      []string{"tokenreview"},
		status:     401,
	}, {
		name:       "serviceAccount refuses an unproven subject",
		strategies: "  - forwarded:\n      trust: {insecureAnyPeer: true}\n  - serviceAccount:\n", // settings may be left out
		req:        request("10.1.2.3:4000", "X-Forwarded-User", "system:serviceaccount:team-a:ci-key"),
		chain:      []string{"forwarded", "serviceaccount"},
		status:     401,
	}, {
		name: "annotation with a signed binding",
		strategies: "  - forwarded:\n      trust: {insecureAnyPeer: true}\n  - serviceAccount: {insecureBelieveForwardedSubjects: true}\n" +
			"  - annotation:\n      requireLabels: {app: ambient-access-key}\n      bindingKeyFiles: [binding-key]\n",
		req:   request("10.1.2.3:4000", "X-Forwarded-User", "system:serviceaccount:team-a:ci-key"),
		chain: []string{"forwarded", "serviceaccount", "annotation"},
		user:  "alice",
		actor: "system:serviceaccount:team-a:ci-key",
	}, {
		name: "annotation bound to other keys refuses the binding",
		strategies: "  - forwarded:\n      trust: {insecureAnyPeer: true}\n  - serviceAccount: {insecureBelieveForwardedSubjects: true}\n" +
			"  - annotation:\n      bindingKeyFiles: [old-key]\n",
		req:    request("10.1.2.3:4000", "X-Forwarded-User", "system:serviceaccount:team-a:ci-key"),
		chain:  []string{"forwarded", "serviceaccount", "annotation"},
		status: 401,
	}, {
		name: "synthetic with a name template",
		strategies: "  - forwarded:\n      trust: {insecureAnyPeer: true}\n  - serviceAccount: {insecureBelieveForwardedSubjects: true}\n" +
			"  - annotation:\n      requireNamespaces: [team-a]\n  - synthetic:\n      nameTemplate: system-serviceaccount-{namespace}.{name}\n",
		req:   request("10.1.2.3:4000", "X-Forwarded-User", "system:serviceaccount:team-a:bare-key"),
		chain: []string{"forwarded", "serviceaccount", "annotation", "synthetic"},
		user:  "system-serviceaccount-team-a.bare-key",
		actor: "system:serviceaccount:team-a:bare-key",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(header+"spec:\n  strategies:\n"+tc.strategies), WithDir(dir))
			if err != nil {
				t.Fatal(err)
			}
			deps := Deps{ServiceAccounts: cluster, Now: tokentest.Now}
			if tc.kube != nil {
				deps.Kubernetes = tc.kube
			}
			built, err := cfg.Build(context.Background(), deps)
			if err != nil {
				t.Fatal(err)
			}
			defer built.Close()
			if diff := cmp.Diff(tc.chain, built.Chain.Strategies()); diff != "" {
				t.Errorf("strategies (-want +got):\n%s", diff)
			}
			p, trace, err := built.Chain.Authenticate(tc.req)
			if got := authn.StatusCode(err); (err == nil && tc.status != 0) || (err != nil && got != tc.status) {
				t.Fatalf("Authenticate error %v (status %d), want status %d; trace %+v", err, got, tc.status, trace)
			}
			if err != nil {
				return
			}
			actor := ""
			if p.Actor != nil {
				actor = p.Actor.Subject()
			}
			if p.User.Name != tc.user || actor != tc.actor {
				t.Errorf("user %q actor %q, want %q and %q", p.User.Name, actor, tc.user, tc.actor)
			}
			if tc.stripped != "" && tc.req.Header.Get(tc.stripped) != "" {
				t.Errorf("%s was not stripped", tc.stripped)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestBuildNeedsDeps: what the file cannot hold is an error with the
// strategy's path, not a panic on the first request.
func TestBuildNeedsDeps(t *testing.T) {
	cfg, err := Parse([]byte(header + "spec:\n  strategies:\n  - tokenReview: {audiences: [console]}\n  - annotation: {requireNamespaces: [keys]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1012 a nil context is what is tested
	if _, err := cfg.Build(nil, Deps{}); err == nil {
		t.Error("Build accepted a nil context")
	}
	_, err = cfg.Build(context.Background(), Deps{})
	want := "authnconfig: 2 errors:\n" +
		"  spec.strategies[0].tokenReview: Required value: Build needs Deps.Kubernetes to send TokenReviews\n" +
		"  spec.strategies[1].annotation: Required value: Build needs Deps.ServiceAccounts or Deps.Kubernetes to read ServiceAccounts"
	if err == nil || err.Error() != want {
		t.Errorf("Build error:\n%v\nwant:\n%s", err, want)
	}
}

// TestBuildStartsProjectedCache: given a client and no cache, Build starts
// one that keeps what the chain reads, and Close stops it.
func TestBuildStartsProjectedCache(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	cfg, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The discovery key set gets an unreachable client: it must stop on Close too.
	built, err := cfg.Build(ctx, Deps{Kubernetes: fake.NewClientset(), HTTPClient: &http.Client{Transport: unreachable{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	want := kubecache.Projection{
		Labels:      []string{"ambient-code.io/role", "app"},
		Annotations: []string{binding.DefaultAnnotation, strategies.DefaultCreatorUIDAnnotation, strategies.DefaultCreatorAnnotation, "ambient-code.io/role"},
	}
	if diff := cmp.Diff(want, built.Projection); diff != "" {
		t.Errorf("projection (-want +got):\n%s", diff)
	}
	if built.Cache == nil || !built.Cache.WaitForSync(ctx, 10*time.Second) {
		t.Fatal("Build started no cache, or one that does not sync")
	}
	if err := built.Cache.CheckProjection(want); err != nil {
		t.Error(err)
	}
	if err := built.Cache.CheckProjection(kubecache.Projection{Labels: []string{"tier"}}); err == nil {
		t.Error("the cache keeps whole objects; want it projected")
	}
	if p, err := cfg.Projection(); err != nil || !cmp.Equal(p, want) {
		t.Errorf("Projection() = %v, %v; want %v", p, err, want)
	}
	// The discovered key set is handed out for metrics; the file's is not.
	if len(built.KeySets) != 1 || built.KeySets[0].Issuer() != "https://kubernetes.default.svc.cluster.local" {
		t.Errorf("KeySets = %v; want the discovered issuer's alone", built.KeySets)
	}
	built.Close()
	built.Close()
}

type unreachable struct{}

func (unreachable) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("unreachable")
}

// TestBuildChecksCacheProjection: a cache built by hand that drops what the
// chain reads is refused.
func TestBuildChecksCacheProjection(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, err := kubecache.New(ctx, fake.NewClientset(), kubecache.WithProjection(kubecache.Projection{Labels: []string{"app"}}))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	defer func() { cancel(); c.Shutdown() }()
	cfg, err := Parse([]byte(header + "spec:\n  strategies:\n  - annotation: {requireLabels: {app: keys}, copyAttributes: [role]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Build(ctx, Deps{ServiceAccounts: c})
	if !errors.Is(err, kubecache.ErrProjectionIncomplete) || !strings.Contains(err.Error(), "spec.strategies[0].annotation: ") {
		t.Errorf("Build = %v; want ErrProjectionIncomplete at the annotation strategy", err)
	}
}

// TestBuildValidatesHandMadeConfig: a configuration not read by Parse is
// checked as Parse checks one.
func TestBuildValidatesHandMadeConfig(t *testing.T) {
	cfg := &ChainConfiguration{APIVersion: APIVersion, Kind: Kind, Spec: Spec{Strategies: []Strategy{
		{JWT: &JWT{Issuer: tokentest.Issuer, JWKSFile: "testdata/files/partner-keys.pem"}},
	}}}
	_, err := cfg.Build(context.Background(), Deps{})
	var e *Error
	if !errors.As(err, &e) || len(e.Errors) != 1 || e.Errors[0].Field != "spec.strategies[0].jwt.audiences" {
		t.Fatalf("Build = %v; want the missing audiences", err)
	}
	cfg.Spec.Strategies[0].JWT.Audiences = []string{"console"}
	built, err := cfg.Build(context.Background(), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	built.Close()
	if cfg.files != nil {
		t.Error("Build changed the configuration it was given")
	}
}
