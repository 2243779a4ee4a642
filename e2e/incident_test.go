//go:build linux

package e2e

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/assertion/verify"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authnlog"
	"github.com/authchain/authchain/chiadapter"
	"github.com/authchain/authchain/impersonate"
)

const (
	// credsNamespace holds the humans' model credentials, one Secret each.
	credsNamespace = "creds"
	// runnerNamespace holds the runner's ServiceAccount.
	runnerNamespace = "runners"
	// credsKey is the Secret's data key of a model credential.
	credsKey = "api-key"
	// runnerMinRefresh is the least time between two fetches of the
	// backend's keys; short, so that the rotation case takes little time.
	runnerMinRefresh = 100 * time.Millisecond
)

// TestIncident replays the incident that started the library, with every
// part real but the two services:
//
//	key ──token──► oauth2-proxy ──► backend /run (standard chain)
//	backend ──Authchain-Assertion──► runner /credentials (assertion/verify)
//	runner ──discovery, keys (TLS)──► backend /.well-known/…
//	runner ──impersonating the human, actor in extra──► kube-apiserver: Secret creds-HUMAN
//
// Each human may read only their own Secret (RBAC); the runner's
// ServiceAccount may impersonate (impersonateRules) and read nothing
// itself. A key's call gets its creator's credentials, and the runner
// rebuilds the backend's Principal; a key without a creator gets none; a
// forged, expired or replayed assertion and a forwarded subject without a
// token are refused.
//
// The runner follows the backend's keys with jwks.OIDC and the backend's
// assertion.DiscoveryHandler rather than jwks.Static: a rotated key is
// then fetched when an assertion first names it, as a deployment needs,
// and the test shows it.
func TestIncident(t *testing.T) {
	w := newWorld(t)

	createNamespace(t, w.admin, credsNamespace)
	createNamespace(t, w.admin, runnerNamespace)
	humans := []string{"alice@example.com", "bob@example.com"}
	creds := map[string]string{}
	for _, human := range humans {
		creds[human] = "model-key-" + randomHex(16)
		issuedTokens.Add(creds[human]) // a secret like a token: no log may hold it
		storeCredentials(t, w.admin, human, creds[human])
	}
	runnerCalls := NewAPICalls()
	runnerConfig := serviceAccountConfig(t, w.cluster, w.admin, runnerNamespace, "runner", runnerCalls.Wrap)
	grantClusterRole(t, w.admin, runnerNamespace, "runner", impersonateRules())

	// The runner's address is needed before it can start: the backend
	// mints for it, and it verifies the backend's keys.
	runnerSrv := httptest.NewUnstartedServer(nil)
	runnerURL := "http://" + runnerSrv.Listener.Addr().String()
	b := startBackend(t, w, runnerURL)
	rn := &runner{config: runnerConfig}
	runnerSrv.Config.Handler = rn.handler(t, w.cluster.CA, b.issuer, runnerURL)
	runnerSrv.Start()
	t.Cleanup(runnerSrv.Close)
	proxy := w.h.StartOAuth2Proxy(t, w.cluster, b.plain.URL+"/", audience, users)

	viaProxy := func(t *testing.T, edit func(*http.Request)) runOutcome {
		t.Helper()
		return b.call(t, proxy.URL+"/run", edit)
	}
	leaks := func(t *testing.T, body string) {
		t.Helper()
		for human, secret := range creds {
			if strings.Contains(body, secret) {
				t.Errorf("the answer holds the credentials of %s", human)
			}
		}
	}

	keys := map[string]*corev1.ServiceAccount{}
	tokens := map[string]string{}
	for _, human := range humans {
		name := "ambient-key-" + strings.Split(human, "@")[0]
		keys[human], tokens[human] = w.createKey(t, name, human, map[string]string{roleAnnotation: "runner"})
	}
	var aliceRun runOutcome
	var aliceAssertion string // the one the runner accepted for alice's run
	for _, human := range humans {
		t.Run("key of "+human+" gets "+human+"'s credentials", func(t *testing.T) {
			start := time.Now()
			var got runOutcome
			waitUntil(t, propagationBound, "the key to resolve", func() bool {
				got = viaProxy(t, withToken(tokens[human]))
				return got.Status != http.StatusUnauthorized
			})
			w.h.Report.Addf(t, "key → oauth2-proxy → backend → runner → API server as %s: first 200 %v after the key was created", human, time.Since(start).Round(time.Millisecond))
			if got.Status != http.StatusOK {
				t.Fatalf("status %d: %s", got.Status, got.Body)
			}
			key := keys[human]
			wantBackend := authn.Principal{
				User: authn.User{Name: human},
				Actor: &authn.ServiceAccount{
					Namespace: keyNamespace, Name: key.Name, UID: string(key.UID),
					Attributes: map[string]string{roleAnnotation: "runner"},
				},
			}
			if diff := cmp.Diff(wantBackend, got.Backend, cmpopts.IgnoreFields(authn.Principal{}, "Via", "Credential")); diff != "" {
				t.Errorf("backend's Principal (-want +got):\n%s", diff)
			}
			// What the package documents: the same Principal, but Via is
			// the runner's chain's, and the Credential is the assertion's,
			// naming the token the backend verified.
			if diff := cmp.Diff(got.Backend, got.Runner.Principal, cmpopts.IgnoreFields(authn.Principal{}, "Via", "Credential")); diff != "" {
				t.Errorf("runner's Principal differs from the backend's (-backend +runner):\n%s", diff)
			}
			if via := got.Runner.Principal.Via; !slices.Equal(via, []string{verify.Name}) {
				t.Errorf("runner's Via %v, want [%s]", via, verify.Name)
			}
			if c, bc := got.Runner.Principal.Credential, got.Backend.Credential; c == nil || bc == nil {
				t.Errorf("credentials: backend %+v, runner %+v", bc, c)
			} else {
				want := authn.Credential{Type: verify.CredentialType, ID: bc.ID, Issuer: b.issuer, Audiences: []string{runnerURL}}
				if diff := cmp.Diff(want, *c, cmpopts.IgnoreFields(authn.Credential{}, "ExpiresAt")); diff != "" {
					t.Errorf("runner's Credential (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(map[string]string{credsKey: creds[human]}, got.Runner.Credentials); diff != "" {
				t.Errorf("credentials (-want +got):\n%s", diff)
			}
			// The API server saw the human, with the key as the actor.
			wantAPI := authenticationv1.UserInfo{
				Username: human,
				Groups:   []string{"system:authenticated"},
				Extra: map[string]authenticationv1.ExtraValue{
					impersonate.ActorExtraKey:    {"system:serviceaccount:" + keyNamespace + ":" + key.Name},
					impersonate.ActorUIDExtraKey: {string(key.UID)},
				},
			}
			if diff := cmp.Diff(wantAPI, got.Runner.APIServerSaw); diff != "" {
				t.Errorf("SelfSubjectReview of the runner's client (-want +got):\n%s", diff)
			}
			arrived := rn.lastHeaders()
			for _, h := range []string{"Authorization", "X-Forwarded-User", "X-Forwarded-Email"} {
				if len(arrived.Values(h)) > 0 {
					t.Errorf("the runner was sent %s: the backend's Transport must strip it", h)
				}
			}
			if human != "alice@example.com" {
				return
			}
			aliceRun, aliceAssertion = got, rn.lastAssertion()
			var times []time.Duration
			for range 20 {
				start := time.Now()
				if got := viaProxy(t, withToken(tokens[human])); got.Status != http.StatusOK {
					t.Fatalf("status %d: %s", got.Status, got.Body)
				}
				times = append(times, time.Since(start))
			}
			slices.Sort(times)
			w.h.Report.Addf(t, "whole chain (proxy, backend chain, assertion, runner chain, impersonated Secret get and SelfSubjectReview): median %v, max %v of %d calls",
				times[len(times)/2].Round(10*time.Microsecond), times[len(times)-1].Round(10*time.Microsecond), len(times))
		})
	}

	t.Run("each human can read only their own Secret, the runner none", func(t *testing.T) {
		if aliceRun.Status != http.StatusOK {
			t.Skip("needs alice's run")
		}
		as, err := impersonate.For(runnerConfig, aliceRun.Runner.Principal)
		if err != nil {
			t.Fatal(err)
		}
		if err := readCredentials(t, as, "bob@example.com"); !apierrors.IsForbidden(err) {
			t.Errorf("alice reading bob's Secret: %v, want 403 Forbidden", err)
		}
		// Nor can the runner itself: only the human's identity opens it.
		if err := readCredentials(t, runnerConfig, "alice@example.com"); !apierrors.IsForbidden(err) {
			t.Errorf("the runner reading alice's Secret as itself: %v, want 403 Forbidden", err)
		}
	})

	t.Run("key without a creator gets no human's credentials", func(t *testing.T) {
		_, token := w.createKey(t, "ci-bot", "", nil)
		var got runOutcome
		waitUntil(t, propagationBound, "the key to be cached", func() bool {
			got = viaProxy(t, withToken(token))
			return got.Status != http.StatusUnauthorized
		})
		before := runnerCalls.Snapshot()
		got = viaProxy(t, withToken(token))
		if !got.Backend.Synthetic || got.Runner.Principal.User.Name != "system-serviceaccount-keys-ci-bot" || !got.Runner.Principal.Synthetic {
			t.Errorf("backend %+v, runner %+v; want the synthetic user of ci-bot on both", got.Backend, got.Runner.Principal)
		}
		// impersonate refuses a synthetic user: the runner asks the API
		// server nothing, and answers 403.
		if got.Status != http.StatusForbidden || !strings.Contains(got.Runner.Error, impersonate.ErrSynthetic.Error()) {
			t.Errorf("got %d %q; want 403 with %v", got.Status, got.Runner.Error, impersonate.ErrSynthetic)
		}
		if calls := runnerCalls.Snapshot().Sub(before); len(calls) > 0 {
			t.Errorf("the runner called the API server for a synthetic user: %s", calls)
		}
		if got.Runner.Credentials != nil {
			t.Errorf("credentials %v given to a synthetic user", got.Runner.Credentials)
		}
		leaks(t, got.Body)
	})

	t.Run("the synthetic name is no one the API server lets read credentials", func(t *testing.T) {
		// Were the name impersonated anyway, RBAC would refuse it.
		as := rest.CopyConfig(runnerConfig)
		as.Impersonate = rest.ImpersonationConfig{UserName: "system-serviceaccount-keys-ci-bot"}
		for _, human := range humans {
			if err := readCredentials(t, as, human); !apierrors.IsForbidden(err) {
				t.Errorf("reading %s's Secret: %v, want 403 Forbidden", human, err)
			}
		}
	})

	t.Run("forwarded subject without a token is refused", func(t *testing.T) {
		// The incident's request: a ServiceAccount subject in
		// X-Forwarded-User, nothing proving it.
		spoof := func(r *http.Request) {
			r.Header.Set("X-Forwarded-User", "system:serviceaccount:"+keyNamespace+":"+keys["alice@example.com"].Name)
		}
		t.Run("through oauth2-proxy", func(t *testing.T) {
			before := b.arrivals.Load()
			got := viaProxy(t, spoof)
			// oauth2-proxy answers a caller without a session with its
			// sign-in page, and passes nothing on.
			if got.Status != http.StatusForbidden || b.arrivals.Load() != before {
				t.Errorf("got %d, %d requests reached the backend; want 403 from oauth2-proxy and none", got.Status, b.arrivals.Load()-before)
			}
			leaks(t, got.Body)
		})
		t.Run("to the backend from the proxy's address", func(t *testing.T) {
			got := b.call(t, b.plain.URL+"/run", spoof)
			detail, _ := got.Problem["detail"].(string)
			if got.Status != http.StatusUnauthorized || got.Problem["strategy"] != "serviceaccount" || !strings.Contains(detail, "without a verified token") {
				t.Errorf("got %d %s; want 401 from serviceaccount: without a verified token", got.Status, got.Body)
			}
			leaks(t, got.Body)
		})
		t.Run("to the runner", func(t *testing.T) {
			got := rn.call(t, runnerURL, func(r *http.Request) { r.Header.Set("X-Forwarded-User", "alice@example.com") })
			if got.Status != http.StatusUnauthorized {
				t.Errorf("got %d %s; want 401", got.Status, got.Body)
			}
			leaks(t, got.Body)
		})
	})

	t.Run("assertions the runner refuses", func(t *testing.T) {
		if aliceRun.Status != http.StatusOK {
			t.Skip("needs alice's run")
		}
		p := aliceRun.Backend
		genuine := mint(t, b.signer, p, runnerURL)
		past, err := assertion.NewSigner(b.issuer, b.ring, assertion.WithClock(func() time.Time { return time.Now().Add(-10 * time.Minute) }))
		if err != nil {
			t.Fatal(err)
		}
		otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		otherRing, err := assertion.NewKeyRing(otherKey)
		if err != nil {
			t.Fatal(err)
		}
		impostor, err := assertion.NewSigner(b.issuer, otherRing)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, assertion, detail string
		}{
			{"forged: another key, the backend's kid", resign(t, genuine, otherKey), "token signature invalid"},
			{"forged: another key ring", mint(t, impostor, p, runnerURL), "token signed with an unknown key"},
			{"expired", mint(t, past, p, runnerURL), "expired"},
			{"minted for another service", mint(t, b.signer, p, "https://billing.team-a.svc"), "audience"},
			{"replayed after the runner accepted it", aliceAssertion, "replayed"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := rn.call(t, runnerURL, withAssertion(tc.assertion))
				detail, _ := got.Problem["detail"].(string)
				if got.Status != http.StatusUnauthorized || got.Problem["strategy"] != verify.Name || !strings.Contains(detail, tc.detail) {
					t.Errorf("got %d %s; want 401 from %s: %s", got.Status, got.Body, verify.Name, tc.detail)
				}
				if strings.Contains(got.Body, tc.assertion) {
					t.Error("the refusal quotes the assertion")
				}
				leaks(t, got.Body)
			})
		}
		// The control: the same Principal, freshly minted, is accepted, so
		// the refusals above are for what each case changed.
		if got := rn.call(t, runnerURL, withAssertion(genuine)); got.Status != http.StatusOK || got.Runner.Credentials[credsKey] != creds["alice@example.com"] {
			t.Errorf("a genuine assertion: %d %s; want alice's credentials", got.Status, got.Body)
		}
	})

	t.Run("the runner follows a rotation of the backend's key", func(t *testing.T) {
		next, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.ring.Rotate(next); err != nil {
			t.Fatal(err)
		}
		var got runOutcome
		// The runner looks an unknown kid up at once, unless it fetched
		// the keys less than its minimum refresh interval ago.
		took := waitUntil(t, propagationBound, "the runner to accept the new key", func() bool {
			got = viaProxy(t, withToken(tokens["alice@example.com"]))
			return got.Status != http.StatusUnauthorized || got.Runner.Detail != "token signed with an unknown key"
		})
		w.h.Report.Addf(t, "rotated key accepted by the runner %v after the rotation (minimum refresh interval %v)", took.Round(time.Millisecond), runnerMinRefresh)
		if got.Status != http.StatusOK || got.Runner.Credentials[credsKey] != creds["alice@example.com"] {
			t.Errorf("after the rotation: %d %s; want alice's credentials", got.Status, got.Body)
		}
		kid := assertionKeyID(t, rn.lastAssertion())
		if want := thumbprint(t, &next.PublicKey); kid != want {
			t.Errorf("the runner accepted an assertion of key %s, want the new key %s", kid, want)
		}
	})
}

// credentialsSecret names the Secret of human's model credentials.
func credentialsSecret(human string) string {
	return "creds-" + strings.NewReplacer("@", "-at-", ".", "-").Replace(human)
}

// readCredentials reads human's credentials Secret with cfg.
func readCredentials(t *testing.T, cfg *rest.Config, human string) error {
	t.Helper()
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CoreV1().Secrets(credsNamespace).Get(t.Context(), credentialsSecret(human), metav1.GetOptions{})
	return err
}

// storeCredentials stores value as human's model credentials and lets
// human, and no one else, read them.
func storeCredentials(t *testing.T, admin kubernetes.Interface, human, value string) {
	t.Helper()
	ctx := t.Context()
	name := credentialsSecret(human)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string][]byte{credsKey: []byte(value)}}
	if _, err := admin.CoreV1().Secrets(credsNamespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{name}, Verbs: []string{"get"}}},
	}
	if _, err := admin.RbacV1().Roles(credsNamespace).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: human}},
	}
	if _, err := admin.RbacV1().RoleBindings(credsNamespace).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// backend is the service the incident began in: the standard chain behind
// oauth2-proxy, and a client whose assertion.Transport passes the
// request's Principal on to the runner. Its router is served twice: over
// plain HTTP on loopback, where oauth2-proxy calls it, and over TLS at
// issuer, where runners discover its keys.
type backend struct {
	issuer string
	plain  *httptest.Server
	ring   *assertion.KeyRing
	signer *assertion.Signer
	runner string
	client *http.Client
	// arrivals counts the requests that reached it, before its chain.
	arrivals atomic.Int64
}

func startBackend(t *testing.T, w *world, runnerURL string) *backend {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{runner: runnerURL}
	if b.ring, err = assertion.NewKeyRing(key); err != nil {
		t.Fatal(err)
	}
	public := httptest.NewUnstartedServer(nil)
	serving, err := w.cluster.CA.IssueServer("backend")
	if err != nil {
		t.Fatal(err)
	}
	public.TLS = &tls.Config{Certificates: []tls.Certificate{serving.TLS}, MinVersion: tls.VersionTLS12}
	b.issuer = "https://" + public.Listener.Addr().String()
	if b.signer, err = assertion.NewSigner(b.issuer, b.ring); err != nil {
		t.Fatal(err)
	}
	transport, err := assertion.NewTransport(b.signer)
	if err != nil {
		t.Fatal(err)
	}
	b.client = &http.Client{Timeout: 15 * time.Second, Transport: transport}

	logged, err := authnlog.Wrap(chain(t, w.jwtConfig, w.fresh), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b.arrivals.Add(1)
			next.ServeHTTP(w, r)
		})
	})
	r.Method(http.MethodGet, "/.well-known/jwks.json", b.ring.Handler())
	r.Method(http.MethodGet, assertion.DiscoveryPath, b.signer.DiscoveryHandler("/.well-known/jwks.json"))
	r.With(chiadapter.Authenticate(logged)).Get("/run", b.run)
	public.Config.Handler = r
	public.StartTLS()
	t.Cleanup(public.Close)
	b.plain = httptest.NewServer(r)
	t.Cleanup(b.plain.Close)
	return b
}

// runOutcome is the backend's answer to /run: what it resolved and what
// the runner answered it, with the runner's status. Status, Body and
// Problem are the client's reading.
type runOutcome struct {
	Backend authn.Principal `json:"backend"`
	Runner  runnerAnswer    `json:"runner"`

	Status  int            `json:"-"`
	Body    string         `json:"-"`
	Problem map[string]any `json:"-"`
}

// run asks the runner for the caller's credentials.
func (b *backend) run(w http.ResponseWriter, r *http.Request) {
	p, _ := authn.FromContext(r.Context())
	out, err := http.NewRequestWithContext(r.Context(), http.MethodGet, b.runner+"/credentials", nil)
	if err != nil {
		http.Error(w, "bad runner URL", http.StatusInternalServerError)
		return
	}
	// A careless handler passes on what it was sent; the Transport strips
	// every identity header.
	out.Header = r.Header.Clone()
	out.Header.Set("X-Forwarded-User", "mallory@example.com")
	resp, err := b.client.Do(out)
	if err != nil {
		http.Error(w, "the runner could not be called", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	var answer runnerAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&answer); err != nil {
		http.Error(w, "the runner's answer is not JSON", http.StatusBadGateway)
		return
	}
	writeJSON(w, resp.StatusCode, runOutcome{Backend: p, Runner: answer})
}

// call GETs target with edit's credentials and reads a runOutcome or a
// problem.
func (b *backend) call(t *testing.T, target string, edit func(*http.Request)) runOutcome {
	t.Helper()
	var got runOutcome
	got.Status, got.Body, got.Problem = getDecoded(t, target, edit, &got)
	return got
}

// runner is the downstream service: it believes only the backend's
// assertions, and reads the credentials of the Principal's user from the
// API server as that user.
type runner struct {
	config *rest.Config

	mu        sync.Mutex
	headers   http.Header
	assertion string
}

// runnerAnswer is the runner's answer: the Principal it rebuilt and, on
// success, the credentials and who the API server took it for.
type runnerAnswer struct {
	Principal    authn.Principal           `json:"principal"`
	Credentials  map[string]string         `json:"credentials,omitempty"`
	APIServerSaw authenticationv1.UserInfo `json:"apiServerSaw"`
	Error        string                    `json:"error,omitempty"`
	// Strategy and Detail are those of the runner chain's refusal, an
	// RFC 9457 problem, which the backend passes on.
	Strategy string `json:"strategy,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

func (rn *runner) handler(t *testing.T, ca *CA, issuer, self string) http.Handler {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12},
	}}
	keys, err := jwks.OIDC(context.Background(), issuer, jwks.WithHTTPClient(client), jwks.WithMinRefreshInterval(runnerMinRefresh))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	fromBackend, err := verify.New(issuer, keys, verify.WithAudiences(self), verify.WithAlgorithms("ES256"), verify.WithReplayCache(1024))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := authn.NewChain(fromBackend)
	if err != nil {
		t.Fatal(err)
	}
	logged, err := authnlog.Wrap(ch, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the backend's keys", keys.Synced)
	r := chi.NewRouter()
	r.Use(rn.record, chiadapter.Authenticate(logged))
	r.Get("/credentials", rn.credentials)
	return r
}

// record keeps the headers of each request and the last assertion sent,
// before the chain strips them; every assertion joins the secrets no log
// may hold.
func (rn *runner) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get(assertion.AssertionHeader)
		rn.mu.Lock()
		rn.headers = r.Header.Clone()
		if a != "" {
			issuedTokens.Add(a)
			rn.assertion = a
		}
		rn.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (rn *runner) lastHeaders() http.Header {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.headers
}

func (rn *runner) lastAssertion() string {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.assertion
}

// credentials reads the user's Secret as the user, with the actor
// recorded, and asks the API server who that client is.
func (rn *runner) credentials(w http.ResponseWriter, r *http.Request) {
	p, _ := authn.FromContext(r.Context())
	out := runnerAnswer{Principal: p}
	as, err := impersonate.For(rn.config, p)
	if err != nil {
		out.Error = err.Error() // never quotes the Principal
		writeJSON(w, http.StatusForbidden, out)
		return
	}
	client, err := kubernetes.NewForConfig(as)
	if err != nil {
		out.Error = "no client"
		writeJSON(w, http.StatusInternalServerError, out)
		return
	}
	secret, err := client.CoreV1().Secrets(credsNamespace).Get(r.Context(), credentialsSecret(p.User.Name), metav1.GetOptions{})
	switch {
	case apierrors.IsForbidden(err):
		out.Error = "the API server refused the user"
		writeJSON(w, http.StatusForbidden, out)
		return
	case err != nil:
		out.Error = "reading the credentials failed"
		writeJSON(w, http.StatusBadGateway, out)
		return
	}
	review, err := client.AuthenticationV1().SelfSubjectReviews().Create(r.Context(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		out.Error = "SelfSubjectReview failed"
		writeJSON(w, http.StatusBadGateway, out)
		return
	}
	out.APIServerSaw = review.Status.UserInfo
	out.Credentials = map[string]string{}
	for k, v := range secret.Data {
		out.Credentials[k] = string(v)
	}
	writeJSON(w, http.StatusOK, out)
}

// call GETs the runner's /credentials with edit's headers.
func (rn *runner) call(t *testing.T, runnerURL string, edit func(*http.Request)) runOutcome {
	t.Helper()
	var got runOutcome
	got.Status, got.Body, got.Problem = getDecoded(t, runnerURL+"/credentials", edit, &got.Runner)
	return got
}

// getDecoded GETs target, letting edit set headers, and decodes a 2xx or
// other JSON answer into v, or an RFC 9457 problem into problem.
func getDecoded(t *testing.T, target string, edit func(*http.Request), v any) (status int, body string, problem map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	switch ct := resp.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "application/problem+json"):
		_ = json.Unmarshal(raw, &problem)
	case strings.HasPrefix(ct, "application/json"):
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("GET %s: %v in %s", target, err, raw)
		}
	}
	return resp.StatusCode, string(raw), problem
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func withAssertion(a string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(assertion.AssertionHeader, a) }
}

// mint signs p for aud with s, and adds the assertion to what no log may
// hold.
func mint(t *testing.T, s *assertion.Signer, p authn.Principal, aud string) string {
	t.Helper()
	a, err := s.Sign(p, aud)
	if err != nil {
		t.Fatal(err)
	}
	issuedTokens.Add(a)
	return a
}

// resign returns genuine's header (alg, kid, typ) and payload signed with
// key instead of the backend's.
func resign(t *testing.T, genuine string, key *ecdsa.PrivateKey) string {
	t.Helper()
	parsed, err := jose.ParseSignedCompact(genuine, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	kid := parsed.Signatures[0].Header.KeyID
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType(assertion.TokenType))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(parsed.UnsafePayloadWithoutVerification())
	if err != nil {
		t.Fatal(err)
	}
	forged, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	issuedTokens.Add(forged)
	return forged
}

// assertionKeyID returns the kid of an assertion's header.
func assertionKeyID(t *testing.T, a string) string {
	t.Helper()
	parsed, err := jose.ParseSignedCompact(a, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Signatures[0].Header.KeyID
}

// thumbprint is the kid a KeyRing gives key: its RFC 7638 thumbprint.
func thumbprint(t *testing.T, key *ecdsa.PublicKey) string {
	t.Helper()
	sum, err := (&jose.JSONWebKey{Key: key}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(sum)
}
