package kubecache_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/tokentest"
	"github.com/authchain/authchain/kubecache"
	"k8s.io/client-go/rest"
)

// clusterConfig is the rest.Config a pod would get, for an API server at
// api: its CA (httptest's, shared by every httptest TLS server) and a token.
func clusterConfig(t *testing.T, api *tokentest.CredentialSink, token string) *rest.Config {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Server.Certificate().Raw})
	return &rest.Config{Host: api.Server.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: ca}}
}

func get(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestAPIServerHTTPClient: the pod's token goes to the API server and the
// names given for it, and to no other host, even one whose certificate
// the cluster's CA would accept.
func TestAPIServerHTTPClient(t *testing.T) {
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	api, alias, foreign := tokentest.NewCredentialSink(t, ok), tokentest.NewCredentialSink(t, ok), tokentest.NewCredentialSink(t, ok)
	client, err := kubecache.APIServerHTTPClient(clusterConfig(t, api, "pod-token"), alias.Server.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	for _, s := range []*tokentest.CredentialSink{api, alias, foreign} {
		get(t, client, s.Server.URL+"/.well-known/openid-configuration")
	}
	for _, tt := range []struct {
		name string
		sink *tokentest.CredentialSink
		want string
	}{
		{"API server", api, "Bearer pod-token"},
		{"another name of the API server", alias, "Bearer pod-token"},
		{"another host", foreign, ""},
	} {
		if got := tt.sink.Authorizations(); len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s saw Authorization %q, want [%q]", tt.name, got, tt.want)
		}
	}

	// The token file of an in-cluster config is read, and sent the same way.
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("projected-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := clusterConfig(t, api, "")
	cfg.BearerTokenFile = file
	fromFile, err := kubecache.APIServerHTTPClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fromFile.CloseIdleConnections()
	get(t, fromFile, api.Server.URL+"/openid/v1/jwks")
	get(t, fromFile, foreign.Server.URL+"/openid/v1/jwks")
	if got := api.Authorizations(); got[len(got)-1] != "Bearer projected-token" {
		t.Errorf("API server saw Authorization %q, want the file's token", got[len(got)-1])
	}
	if got := foreign.Authorizations(); got[len(got)-1] != "" {
		t.Errorf("another host saw Authorization %q", got[len(got)-1])
	}
}

// TestAPIServerHTTPClientWithOIDCKeys: discovery on the API server names
// a jwks_uri on another origin, allowed for keys but not named as the API
// server: the keys are fetched, without the token.
func TestAPIServerHTTPClientWithOIDCKeys(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	jwksHost := tokentest.NewJWKSSink(t, &k.RSA.PublicKey)
	var api *tokentest.CredentialSink
	api = tokentest.NewCredentialSink(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": api.Server.URL, "jwks_uri": jwksHost.Server.URL + "/openid/v1/jwks"})
	}))
	client, err := kubecache.APIServerHTTPClient(clusterConfig(t, api, "pod-token"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := jwks.OIDC(context.Background(), api.Server.URL,
		jwks.WithHTTPClient(client), jwks.WithOrigins(jwksHost.Server.URL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	t.Cleanup(client.CloseIdleConnections)
	if _, err := keys.Key(context.Background(), tokentest.KubeKID(t, &k.RSA.PublicKey)); err != nil {
		t.Fatal(err)
	}
	if got := api.Authorizations(); len(got) == 0 || got[0] != "Bearer pod-token" {
		t.Errorf("discovery on the API server saw Authorization %q, want the token", got)
	}
	if got := jwksHost.Authorizations(); len(got) != 1 || got[0] != "" {
		t.Errorf("the JWKS host saw Authorization %q, want none", got)
	}
}

func TestAPIServerHTTPClientConfig(t *testing.T) {
	if _, err := kubecache.APIServerHTTPClient(nil); err == nil || !strings.Contains(err.Error(), "config is nil") {
		t.Errorf("nil config: %v", err)
	}
	cfg := &rest.Config{Host: "https://10.96.0.1:443", BearerToken: "t"}
	for _, bad := range []string{"http://kubernetes.default.svc", "kubernetes.default.svc", "https://u:p@host"} {
		if _, err := kubecache.APIServerHTTPClient(cfg, bad); err == nil {
			t.Errorf("alsoAPIServer %q accepted", bad)
		}
	}
	if _, err := kubecache.APIServerHTTPClient(cfg, "https://kubernetes.default.svc.cluster.local"); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

// TestAttack_APIServerClientKeepsTheTokenHome: the pod's token goes only to
// the API server's origin: not to a foreign host, not over http, not to
// another port of the same host, not after a redirect, not to a URL whose
// userinfo names the API server.
func TestAttack_APIServerClientKeepsTheTokenHome(t *testing.T) {
	foreign := tokentest.NewCredentialSink(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	api := tokentest.NewCredentialSink(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bounce" {
			http.Redirect(w, r, foreign.Server.URL+"/stolen", http.StatusTemporaryRedirect)
		}
	}))
	client, err := kubecache.APIServerHTTPClient(clusterConfig(t, api, "pod-token-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	client.Timeout = 5 * time.Second
	au, _ := url.Parse(api.Server.URL)
	fu, _ := url.Parse(foreign.Server.URL)
	for _, u := range []string{
		foreign.Server.URL + "/x",
		api.Server.URL + "/bounce",
		"https://" + au.Host + "@" + fu.Host + "/x",
		"https://" + fu.Host + "/" + au.Host,
		"https://" + fu.Host + "?h=" + au.Host,
	} {
		resp, err := client.Get(u)
		if err == nil {
			resp.Body.Close()
		}
	}
	// Same host, other port, and plain http to the API's port: the
	// connection fails, but the token must not be attempted either; a
	// transport spy checks what would have been sent.
	for _, a := range foreign.Authorizations() {
		if strings.Contains(a, "pod-token-secret") {
			t.Errorf("the foreign host received the pod's token: %q", a)
		}
	}
	if got := api.Authorizations(); len(got) == 0 || got[0] != "Bearer pod-token-secret" {
		t.Errorf("the API server saw %q, want the token (the test would prove nothing)", got)
	}
	// An http origin for the API host gets no credentials: a plain-http
	// listener on a fresh port stands in for the downgrade.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Authorization"), "pod-token-secret") {
			t.Errorf("plain http received the pod's token")
		}
	}))
	defer plain.Close()
	client2, err := kubecache.APIServerHTTPClient(clusterConfig(t, api, "pod-token-secret"), strings.Replace(plain.URL, "http:", "https:", 1))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := client2.Get(plain.URL + "/x"); err == nil {
		resp.Body.Close()
	}
	if _, err := kubecache.APIServerHTTPClient(clusterConfig(t, api, "t"), "http://"+au.Host); err == nil {
		t.Error("an http alias of the API server was accepted")
	}
	if _, err := kubecache.APIServerHTTPClient(clusterConfig(t, api, "t"), "https://user@"+au.Host); err == nil {
		t.Error("an alias with userinfo was accepted")
	}
}
