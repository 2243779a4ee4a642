//go:build linux

package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/setup"
	"github.com/authchain/authchain/kubecache"
)

const (
	// audience is what access-key tokens are minted for, and what both
	// oauth2-proxy and the app accept.
	audience = "authchain-e2e"
	// keyNamespace holds the access keys of a test.
	keyNamespace = "keys"
	// maxStaleness bounds how long the app's "jwt" route answers from a
	// cache that lost the API server.
	maxStaleness = 2 * time.Second
	// roleAnnotation is copied into Actor.Attributes.
	roleAnnotation = RoleAnnotation
)

// bindingKey signs creator bindings, as the platform's key service would.
var bindingKey = []byte("authchain-e2e-binding-key-0123456789abcdef")

// users are the humans oauth2-proxy lets in with basic auth.
var users = map[string]string{"alice@example.com": "alice-password", "bob@example.com": "bob-password"}

// world is one test's setup:
//
//	client ──► oauth2-proxy ──► app /jwt, /lastknown, /tokenreview
//	client (front-proxy certificate) ──TLS──► front
//	app, front ──informers, TokenReview, OIDC keys (counted)──► kube-apiserver ──► etcd
//
// The app's routes mount the same library with three configurations:
//   - /jwt verifies tokens locally with the issuer's OIDC keys, and reads
//     ServiceAccounts from a projected cache that stops answering once it
//     has lost the API server for maxStaleness;
//   - /lastknown is /jwt over a cache that keeps serving its last state;
//   - /tokenreview verifies tokens with TokenReview, over the /lastknown
//     cache.
//
// front is the Kubernetes front-proxy configuration (X-Remote-* headers,
// trusted by client certificate) over the /jwt cache. Every route requires
// token proof for a forwarded ServiceAccount subject, the default; front
// has no token strategy, since a front proxy forwards no token, so it
// refuses every such subject.
type world struct {
	h       *Harness
	cluster *Cluster
	admin   kubernetes.Interface
	// calls counts every request the app makes to the API server.
	calls *APICalls
	proxy *OAuth2Proxy
	app   *httptest.Server
	front *httptest.Server
	// frontProxyCA issues the front proxy's client certificate.
	frontProxyCA *CA
	fresh, last  *kubecache.Cache
	keys         *jwks.OIDCKeys
	// jwtConfig and frontConfig configure the /jwt and front routes, for
	// tests that mount them again over another cache.
	jwtConfig, frontConfig setup.Config
	http                   *http.Client
}

// frontClient returns a client of the front route presenting a certificate
// with common name cn from ca, or none if ca is nil.
func (w *world) frontClient(t *testing.T, ca *CA, cn string) *http.Client {
	t.Helper()
	cfg := &tls.Config{RootCAs: w.cluster.CA.Pool(), MinVersion: tls.VersionTLS12}
	if ca != nil {
		kp, err := ca.IssueClient(cn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{kp.TLS}
	}
	transport := &http.Transport{TLSClientConfig: cfg}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Timeout: 15 * time.Second, Transport: transport}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	h := requireHarness(t)
	w := &world{h: h, calls: NewAPICalls(), http: &http.Client{Timeout: 15 * time.Second}}
	w.cluster = h.StartCluster(t)
	w.admin = w.cluster.AdminClient(t)
	ctx := t.Context()
	if _, err := w.admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: keyNamespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The app's own client: default client-side rate limits, as a real
	// service would have, and every call counted.
	appConfig := w.cluster.Config(w.calls.Wrap)
	appConfig.QPS = 0
	appClient, err := kubernetes.NewForConfig(appConfig)
	if err != nil {
		t.Fatal(err)
	}
	base := setup.Config{
		TrustCIDRs:     []string{"127.0.0.1/32"}, // oauth2-proxy's address
		RequireLabels:  map[string]string{AccessKeyLabel: AccessKeyLabelValue},
		BindingKey:     string(bindingKey),
		Audiences:      []string{audience},
		CopyAttributes: []string{roleAnnotation},
	}
	cacheCtx, stopCaches := context.WithCancel(context.Background())
	w.fresh = newCache(t, cacheCtx, appClient, kubecache.WithProjection(base.Projection()), kubecache.WithMaxStaleness(maxStaleness))
	w.last = newCache(t, cacheCtx, appClient, kubecache.WithProjection(base.Projection()))
	t.Cleanup(func() { stopCaches(); w.fresh.Shutdown(); w.last.Shutdown() })

	keyClient := &http.Client{Timeout: 10 * time.Second, Transport: w.calls.Wrap(&http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: w.cluster.CA.Pool(), MinVersion: tls.VersionTLS12},
	})}
	w.keys, err = jwks.OIDC(context.Background(), w.cluster.URL, jwks.WithHTTPClient(keyClient))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.keys.Close)

	w.jwtConfig = base
	w.jwtConfig.Issuer, w.jwtConfig.Keys = w.cluster.URL, w.keys
	review := base
	review.TokenReviews = appClient.AuthenticationV1().TokenReviews()
	w.app = httptest.NewServer(NewApp(map[string]*authn.Chain{
		"jwt":         chain(t, w.jwtConfig, w.fresh),
		"lastknown":   chain(t, w.jwtConfig, w.last),
		"tokenreview": chain(t, review, w.last),
	}))
	t.Cleanup(w.app.Close)

	if w.frontProxyCA, err = NewCA("front-proxy CA"); err != nil {
		t.Fatal(err)
	}
	w.frontConfig = base
	w.frontConfig.Headers = "front-proxy"
	w.frontConfig.TrustCIDRs = nil
	w.frontConfig.TrustClientNames = []string{"front-proxy-client"}
	w.frontConfig.ClientCAs = w.frontProxyCA.Pool()
	w.front = w.serveFront(t, NewApp(map[string]*authn.Chain{"front": chain(t, w.frontConfig, w.fresh)}))

	w.proxy = h.StartOAuth2Proxy(t, w.cluster, w.app.URL+"/", audience, users)

	waitUntil(t, 30*time.Second, "the app's caches and keys", func() bool {
		return w.fresh.HasSynced() && w.last.HasSynced() && w.keys.Synced()
	})
	return w
}

// serveFront serves app over TLS, with a certificate of the cluster's CA,
// until t ends; it asks clients for a certificate, as a Kubernetes
// aggregated server does of its front proxy.
func (w *world) serveFront(t *testing.T, app http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(app)
	serving, err := w.cluster.CA.IssueServer("front")
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{serving.TLS},
		// Any certificate is accepted in the handshake, so that what is
		// tested is the library's verification, not crypto/tls's.
		ClientAuth: tls.RequestClientCert,
		MinVersion: tls.VersionTLS12,
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func newCache(t *testing.T, ctx context.Context, client kubernetes.Interface, opts ...kubecache.Option) *kubecache.Cache {
	t.Helper()
	c, err := kubecache.New(ctx, client, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func chain(t *testing.T, cfg setup.Config, c *kubecache.Cache) *authn.Chain {
	t.Helper()
	ch, err := cfg.Chain(c)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// createKey creates an access key for creator in keyNamespace and returns
// it with a fresh token.
func (w *world) createKey(t *testing.T, name, creator string, extra map[string]string) (*corev1.ServiceAccount, string) {
	t.Helper()
	sa, err := CreateAccessKey(t.Context(), w.admin, keyNamespace, name, creator, bindingKey, extra)
	if err != nil {
		t.Fatal(err)
	}
	return sa, w.token(t, name)
}

func (w *world) token(t *testing.T, name string) string {
	t.Helper()
	token, err := RequestToken(t.Context(), w.admin, keyNamespace, name, audience)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// answer is what a client got back.
type answer struct {
	Status    int
	Header    http.Header
	Principal authn.Principal
	// Problem is the RFC 9457 body of an error, decoded.
	Problem map[string]any
	// Body is the raw body, for failure messages.
	Body string
}

func (a answer) String() string { return strings.TrimSpace(a.Body) }

// problemStrategy returns the strategy an error response names.
func (a answer) problemStrategy() string {
	s, _ := a.Problem["strategy"].(string)
	return s
}

// call makes a GET to url, letting edit add credentials and headers.
func (w *world) call(t *testing.T, client *http.Client, url string, edit func(*http.Request)) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return readAnswer(t, resp)
}

// readAnswer reads and closes the response to a call of a whoami route.
func readAnswer(t *testing.T, resp *http.Response) answer {
	t.Helper()
	url := resp.Request.URL.String()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
	switch {
	case resp.StatusCode == http.StatusOK:
		if err := json.Unmarshal(body, &a.Principal); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	case strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json"):
		_ = json.Unmarshal(body, &a.Problem)
	}
	return a
}

// viaProxy calls route's /whoami through oauth2-proxy.
func (w *world) viaProxy(t *testing.T, route string, edit func(*http.Request)) answer {
	t.Helper()
	return w.call(t, w.http, w.proxy.URL+"/"+route+"/whoami", edit)
}

func withToken(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

func asUser(name string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(name, users[name]) }
}

// waitUntil polls cond every 5ms until it holds, and returns how long that
// took; it fails t after timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}
