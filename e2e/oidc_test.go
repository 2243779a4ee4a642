//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/client-go/kubernetes"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/oidc"
	"github.com/authchain/authchain/internal/setup"
	"github.com/authchain/authchain/kubecache"
)

// The provider's clients: the app's, which both oauth2-proxies sign in
// with, and another application's, whose ID tokens the app must refuse.
const (
	oidcClientID      = "authchain-web"
	otherOIDCClientID = "other-web"
)

var alice = OIDCUser{ID: "u-1001", Username: "alice", Password: "alice-oidc-password", Email: "alice@example.com"}

// TestOIDCLogin signs a human in through oauth2-proxy at a real OpenID
// provider with the authorization-code flow, filling in its login form as
// a browser would, and checks what the app behind it makes of the result:
//
//	browser ──► oauth2-proxy ──► app /oidc (forwarded, jwt, oidc, serviceaccount, annotation, synthetic)
//	   └──────► provider's login page      app ──discovery, keys──► provider
//
// With --pass-authorization-header the app verifies the ID token itself;
// without it, it believes oauth2-proxy's headers, as it does for any
// trusted proxy. ID tokens presented to the app directly are verified as
// strictly: a forged one, or one for another client, is refused.
func TestOIDCLogin(t *testing.T) {
	h := requireHarness(t)
	cluster := h.StartCluster(t)

	passingPort, headersPort, otherPort := mustFreePort(t), mustFreePort(t), mustFreePort(t)
	otherRedirect := "http://" + hostPort(otherPort) + "/callback" // nothing listens: the test reads the code from the redirect
	secrets := map[string]string{oidcClientID: randomHex(16), otherOIDCClientID: randomHex(16)}
	op := h.StartOIDCProvider(t, cluster.CA, []OIDCUser{alice}, secrets, []string{
		"http://" + hostPort(passingPort) + "/oauth2/callback",
		"http://" + hostPort(headersPort) + "/oauth2/callback",
		otherRedirect,
	})

	// The app: the standard chain with the provider's ID tokens verified
	// beside the cluster's ServiceAccount tokens.
	providerKeys, err := jwks.OIDC(context.Background(), op.Issuer, jwks.WithHTTPClient(op.HTTP))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(providerKeys.Close)
	idTokens, err := oidc.New(op.Issuer, providerKeys,
		oidc.WithAudiences(oidcClientID),
		oidc.WithUsernameClaim("email", ""), // what oauth2-proxy forwards with --prefer-email-to-user
		oidc.WithEmailClaim("email"),
		oidc.WithUIDClaim("sub"))
	if err != nil {
		t.Fatal(err)
	}
	clusterClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: cluster.CA.Pool(), MinVersion: tls.VersionTLS12},
	}}
	clusterKeys, err := jwks.OIDC(context.Background(), cluster.URL, jwks.WithHTTPClient(clusterClient))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(clusterKeys.Close)
	cfg := setup.Config{
		TrustCIDRs:      []string{"127.0.0.1/32"}, // oauth2-proxy's address
		RequireLabels:   map[string]string{AccessKeyLabel: AccessKeyLabelValue},
		BindingKey:      string(bindingKey),
		Issuer:          cluster.URL,
		Keys:            clusterKeys,
		Audiences:       []string{audience},
		TokenStrategies: []authn.Strategy{idTokens},
	}
	appClient, err := kubernetes.NewForConfig(cluster.Config(nil))
	if err != nil {
		t.Fatal(err)
	}
	cacheCtx, stopCache := context.WithCancel(context.Background())
	sas := newCache(t, cacheCtx, appClient, kubecache.WithProjection(cfg.Projection()))
	t.Cleanup(func() { stopCache(); sas.Shutdown() })
	arrived := &arrivals{}
	app := httptest.NewServer(arrived.record(NewApp(map[string]*authn.Chain{"oidc": chain(t, cfg, sas)})))
	t.Cleanup(app.Close)

	passing := h.StartOIDCProxy(t, op, cluster.CAFile, app.URL+"/", OIDCProxy{
		Port: passingPort, ClientID: oidcClientID, ClientSecret: secrets[oidcClientID], PassAuthorization: true,
	})
	headersOnly := h.StartOIDCProxy(t, op, cluster.CAFile, app.URL+"/", OIDCProxy{
		Port: headersPort, ClientID: oidcClientID, ClientSecret: secrets[oidcClientID],
	})
	waitUntil(t, 30*time.Second, "the app's cache and keys", func() bool {
		return sas.HasSynced() && providerKeys.Synced() && clusterKeys.Synced()
	})

	aliceUser := authn.User{Name: alice.Email, UID: alice.ID, Email: alice.Email}
	// ExpiresAt is the provider's to choose; the test checks it is ahead.
	ignoreExpiry := cmpopts.IgnoreFields(authn.Credential{}, "ExpiresAt")
	var idToken string

	t.Run("sign in, ID token passed on", func(t *testing.T) {
		start := time.Now()
		got := signIn(t, browser(t, cluster.CA), passing.URL+"/oidc/whoami", alice)
		headers := arrived.lastHeaders()
		h.Report.Addf(t, "sign-in through oauth2-proxy and the provider's login form: %v", time.Since(start).Round(time.Millisecond))
		if got.Status != http.StatusOK {
			t.Fatalf("status %d: %s", got.Status, got)
		}
		want := authn.Principal{
			User:       aliceUser,
			Credential: &authn.Credential{Type: oidc.CredentialType, Issuer: op.Issuer, Audiences: []string{oidcClientID}},
			Via:        []string{"forwarded", "oidc"},
		}
		if diff := cmp.Diff(want, got.Principal, ignoreExpiry); diff != "" {
			t.Errorf("Principal (-want +got):\n%s", diff)
		}
		if exp := got.Principal.Credential.ExpiresAt; !exp.After(time.Now()) {
			t.Errorf("Credential.ExpiresAt %v is not ahead", exp)
		}
		if saw := got.Header.Get(WhoamiSawAuthorization); saw != "false" {
			t.Errorf("the handler saw Authorization (%s=%q): the chain must strip it", WhoamiSawAuthorization, saw)
		}
		if user := headers.Get("X-Forwarded-User"); user != alice.Email {
			t.Errorf("oauth2-proxy forwarded user %q, want %q", user, alice.Email)
		}
		var ok bool
		if idToken, ok = strings.CutPrefix(headers.Get("Authorization"), "Bearer "); !ok {
			t.Fatal("oauth2-proxy passed no bearer ID token to the app")
		}
	})

	t.Run("sign in, headers alone", func(t *testing.T) {
		got := signIn(t, browser(t, cluster.CA), headersOnly.URL+"/oidc/whoami", alice)
		headers := arrived.lastHeaders()
		if got.Status != http.StatusOK {
			t.Fatalf("status %d: %s", got.Status, got)
		}
		// Without a token, the user is what oauth2-proxy forwards; with
		// one, the token's claims replace it whole.
		want := authn.Principal{
			User: authn.User{Name: alice.Email, Extra: map[string][]string{"preferred_username": {alice.Username}}},
			Via:  []string{"forwarded"},
		}
		if diff := cmp.Diff(want, got.Principal); diff != "" {
			t.Errorf("Principal (-want +got):\n%s", diff)
		}
		if len(headers.Values("Authorization")) > 0 {
			t.Error("oauth2-proxy passed an Authorization header without --pass-authorization-header")
		}
	})

	direct := func(t *testing.T, token string) answer {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, app.URL+"/oidc/whoami", nil)
		if err != nil {
			t.Fatal(err)
		}
		withToken(token)(req)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return readAnswer(t, resp)
	}

	t.Run("ID token presented to the app directly", func(t *testing.T) {
		if idToken == "" {
			t.Skip("no ID token: the sign-in failed")
		}
		got := direct(t, idToken)
		want := authn.Principal{
			User:       aliceUser,
			Credential: &authn.Credential{Type: oidc.CredentialType, Issuer: op.Issuer, Audiences: []string{oidcClientID}},
			Via:        []string{"oidc"},
		}
		if got.Status != http.StatusOK {
			t.Fatalf("status %d: %s", got.Status, got)
		}
		if diff := cmp.Diff(want, got.Principal, ignoreExpiry); diff != "" {
			t.Errorf("Principal (-want +got):\n%s", diff)
		}
	})

	t.Run("forged ID token", func(t *testing.T) {
		if idToken == "" {
			t.Skip("no ID token: the sign-in failed")
		}
		forged := forge(t, idToken)
		got := direct(t, forged)
		if got.Status != http.StatusUnauthorized || got.problemStrategy() != "oidc" {
			t.Errorf("got %d from %q, want 401 from oidc: %s", got.Status, got.problemStrategy(), got)
		}
		if strings.Contains(got.Body, forged) {
			t.Error("the refusal quotes the token")
		}
	})

	t.Run("ID token for another client", func(t *testing.T) {
		other := codeFlowIDToken(t, browser(t, cluster.CA), op, otherOIDCClientID, secrets[otherOIDCClientID], otherRedirect, alice)
		got := direct(t, other)
		if got.Status != http.StatusUnauthorized || got.problemStrategy() != "oidc" {
			t.Errorf("got %d from %q, want 401 from oidc: %s", got.Status, got.problemStrategy(), got)
		}
		if detail, _ := got.Problem["detail"].(string); !strings.Contains(detail, "audience") {
			t.Errorf("the refusal %q does not say it is the audience", detail)
		}
	})
}

func mustFreePort(t *testing.T) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// arrivals records the headers of the requests that reached the app,
// before its chain ran, and adds every bearer token among them to
// issuedTokens, which no log line may hold.
type arrivals struct {
	mu   sync.Mutex
	last http.Header
}

func (a *arrivals) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			issuedTokens.Add(token)
		}
		a.mu.Lock()
		a.last = r.Header.Clone()
		a.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (a *arrivals) lastHeaders() http.Header {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// browser returns a client with a cookie jar of its own that trusts ca (the
// provider's) and follows redirects, as a browser would.
func browser(t *testing.T, ca *CA) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: transport, Timeout: 15 * time.Second}
}

// signIn GETs target as a browser would and signs user in at the
// provider's login page it is sent to; it returns the answer to the
// request for target that follows the sign-in.
func signIn(t *testing.T, client *http.Client, target string, user OIDCUser) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	// oauth2-proxy redirects to the provider only a client that takes HTML.
	req.Header.Set("Accept", "text/html")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return readAnswer(t, submitLogin(t, client, resp, user))
}

// submitLogin fills in and posts the provider's login form, the body of
// page, with user's credentials, and returns the response at the end of
// the redirects that follow.
func submitLogin(t *testing.T, client *http.Client, page *http.Response, user OIDCUser) *http.Response {
	t.Helper()
	body, err := io.ReadAll(page.Body)
	page.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if page.StatusCode != http.StatusOK {
		t.Fatalf("the login page %s answered %d", page.Request.URL.Redacted(), page.StatusCode)
	}
	action, fields := parseForm(t, string(body))
	fields.Set("username", user.Username)
	fields.Set("password", user.Password)
	post, err := page.Request.URL.Parse(action)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, post.String(), strings.NewReader(fields.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST the login form: %v", err)
	}
	return resp
}

var (
	formTag  = regexp.MustCompile(`(?is)<form\b[^>]*\baction="([^"]*)"[^>]*>(.*?)</form>`)
	inputTag = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attr     = regexp.MustCompile(`(?is)\b(name|value)="([^"]*)"`)
)

// parseForm returns the action of the one form in page and the values of
// its inputs, as a browser would submit them before anyone types.
func parseForm(t *testing.T, page string) (action string, fields url.Values) {
	t.Helper()
	forms := formTag.FindAllStringSubmatch(page, -1)
	if len(forms) != 1 {
		t.Fatalf("want one form on the login page, found %d", len(forms))
	}
	fields = url.Values{}
	for _, input := range inputTag.FindAllString(forms[0][2], -1) {
		var name, value string
		for _, a := range attr.FindAllStringSubmatch(input, -1) {
			if strings.EqualFold(a[1], "name") {
				name = html.UnescapeString(a[2])
			} else {
				value = html.UnescapeString(a[2])
			}
		}
		if name != "" {
			fields.Set(name, value)
		}
	}
	return html.UnescapeString(forms[0][1]), fields
}

// codeFlowIDToken signs user in at op as the client clientID, the way a
// web application would without oauth2-proxy, and returns the ID token
// the provider issues it.
func codeFlowIDToken(t *testing.T, client *http.Client, op *OIDCProvider, clientID, secret, redirect string, user OIDCUser) string {
	t.Helper()
	var discovery struct {
		Authorization string `json:"authorization_endpoint"`
		Token         string `json:"token_endpoint"`
	}
	getJSON(t, op.HTTP, op.Issuer+"/.well-known/openid-configuration", &discovery)
	state := randomHex(8)
	// Stop at the redirect to the application: nothing listens there.
	client.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	auth := discovery.Authorization + "?" + url.Values{
		"client_id": {clientID}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {"openid email profile"}, "state": {state},
	}.Encode()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, auth, nil)
	if err != nil {
		t.Fatal(err)
	}
	page, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	back := submitLogin(t, client, page, user)
	back.Body.Close()
	location, err := back.Location()
	if err != nil {
		t.Fatalf("the provider sent no redirect after the login (%d): %v", back.StatusCode, err)
	}
	if got := location.Query().Get("state"); got != state {
		t.Fatalf("state %q, want %q", got, state)
	}
	code := location.Query().Get("code")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
	req, err = http.NewRequestWithContext(t.Context(), http.MethodPost, discovery.Token, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := op.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tokens struct {
		IDToken string `json:"id_token"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the token endpoint answered %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&tokens); err != nil || tokens.IDToken == "" {
		t.Fatalf("no ID token from the token endpoint: %v", err)
	}
	issuedTokens.Add(tokens.IDToken)
	return tokens.IDToken
}

func getJSON(t *testing.T, client *http.Client, target string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", target, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
}

// forge returns a token with the header (alg and kid) and claims of
// genuine, signed with a key of its own instead of the provider's.
func forge(t *testing.T, genuine string) string {
	t.Helper()
	claims := gojwt.MapClaims{}
	parsed, _, err := gojwt.NewParser().ParseUnverified(genuine, claims)
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged := gojwt.NewWithClaims(gojwt.SigningMethodRS256, claims)
	forged.Header["kid"] = parsed.Header["kid"]
	signed, err := forged.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	issuedTokens.Add(signed)
	return signed
}
