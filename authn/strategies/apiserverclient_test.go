package strategies_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/authn/strategies"
)

// clusterConfig is the rest.Config a pod would get, for an API server at
// api: its CA (httptest's, shared by every httptest TLS server) and a token.
func clusterConfig(t *testing.T, api *credentialSink, token string) *rest.Config {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.srv.Certificate().Raw})
	return &rest.Config{Host: api.srv.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: ca}}
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
	api, alias, foreign := newCredentialSink(t, ok), newCredentialSink(t, ok), newCredentialSink(t, ok)
	client, err := strategies.APIServerHTTPClient(clusterConfig(t, api, "pod-token"), alias.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	for _, s := range []*credentialSink{api, alias, foreign} {
		get(t, client, s.srv.URL+"/.well-known/openid-configuration")
	}
	for _, tt := range []struct {
		name string
		sink *credentialSink
		want string
	}{
		{"API server", api, "Bearer pod-token"},
		{"another name of the API server", alias, "Bearer pod-token"},
		{"another host", foreign, ""},
	} {
		if got := tt.sink.authorizations(); len(got) != 1 || got[0] != tt.want {
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
	fromFile, err := strategies.APIServerHTTPClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fromFile.CloseIdleConnections()
	get(t, fromFile, api.srv.URL+"/openid/v1/jwks")
	get(t, fromFile, foreign.srv.URL+"/openid/v1/jwks")
	if got := api.authorizations(); got[len(got)-1] != "Bearer projected-token" {
		t.Errorf("API server saw Authorization %q, want the file's token", got[len(got)-1])
	}
	if got := foreign.authorizations(); got[len(got)-1] != "" {
		t.Errorf("another host saw Authorization %q", got[len(got)-1])
	}
}

// TestAPIServerHTTPClientWithOIDCKeySet: discovery on the API server names
// a jwks_uri on another origin, allowed for keys but not named as the API
// server: the keys are fetched, without the token.
func TestAPIServerHTTPClientWithOIDCKeySet(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	jwksHost := newJWKSSink(t, &k.rsa.PublicKey)
	var api *credentialSink
	api = newCredentialSink(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": api.srv.URL, "jwks_uri": jwksHost.srv.URL + "/openid/v1/jwks"})
	}))
	client, err := strategies.APIServerHTTPClient(clusterConfig(t, api, "pod-token"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := strategies.OIDCKeySet(context.Background(), api.srv.URL,
		strategies.WithHTTPClient(client), strategies.WithJWKSOrigins(jwksHost.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	t.Cleanup(client.CloseIdleConnections)
	if _, err := keys.Key(context.Background(), kubeKID(t, &k.rsa.PublicKey)); err != nil {
		t.Fatal(err)
	}
	if got := api.authorizations(); len(got) == 0 || got[0] != "Bearer pod-token" {
		t.Errorf("discovery on the API server saw Authorization %q, want the token", got)
	}
	if got := jwksHost.authorizations(); len(got) != 1 || got[0] != "" {
		t.Errorf("the JWKS host saw Authorization %q, want none", got)
	}
}

func TestAPIServerHTTPClientConfig(t *testing.T) {
	if _, err := strategies.APIServerHTTPClient(nil); err == nil || !strings.Contains(err.Error(), "config is nil") {
		t.Errorf("nil config: %v", err)
	}
	cfg := &rest.Config{Host: "https://10.96.0.1:443", BearerToken: "t"}
	for _, bad := range []string{"http://kubernetes.default.svc", "kubernetes.default.svc", "https://u:p@host"} {
		if _, err := strategies.APIServerHTTPClient(cfg, bad); err == nil {
			t.Errorf("alsoAPIServer %q accepted", bad)
		}
	}
	if _, err := strategies.APIServerHTTPClient(cfg, "https://kubernetes.default.svc.cluster.local"); err != nil {
		t.Errorf("valid config: %v", err)
	}
}
