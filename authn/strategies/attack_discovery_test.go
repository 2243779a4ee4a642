package strategies_test

// Class 7: discovery must never fetch keys from, nor send credentials to, a
// host that is neither the issuer's origin nor one explicitly allowed.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authchain/authchain/authn/strategies"
)

// attackIssuer is a TLS issuer whose discovery document and JWKS handler
// the test writes; self is its own URL.
func attackIssuer(t *testing.T, discovery func(self string) any, jwks func(self string, w http.ResponseWriter, r *http.Request)) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		switch d := discovery(srv.URL).(type) {
		case http.Handler:
			d.ServeHTTP(w, r)
		case []byte:
			_, _ = w.Write(d)
		default:
			_ = json.NewEncoder(w).Encode(d)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if jwks != nil {
			jwks(srv.URL, w, r)
			return
		}
		_, _ = w.Write(jwksJSON(t, &jwtTestKeys().rsa.PublicKey))
	})
	srv = httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func keysFrom(t *testing.T, issuer *httptest.Server, opts ...strategies.OIDCKeySetOption) error {
	t.Helper()
	opts = append([]strategies.OIDCKeySetOption{strategies.WithHTTPClient(bearerEverywhere(issuer.Client()))}, opts...)
	keys, err := strategies.OIDCKeySet(context.Background(), issuer.URL, opts...)
	if err != nil {
		return err
	}
	defer keys.Close()
	_, err = keys.Key(context.Background(), kubeKID(t, &jwtTestKeys().rsa.PublicKey))
	return err
}

// otherPort returns u with another port on the same host.
func otherPort(u string) string {
	p, _ := url.Parse(u)
	return "https://" + p.Hostname() + ":1" + p.Port()[1:]
}

// TestAttack_DiscoveryNeverLeavesTheOrigin: jwks_uri and redirect tricks
// that would fetch keys from, or send the client's credentials to,
// another origin are all refused, and the foreign host hears nothing.
func TestAttack_DiscoveryNeverLeavesTheOrigin(t *testing.T) {
	verifyNoLeaks(t)
	foreign := newJWKSSink(t, &jwtTestKeys().rsa.PublicKey)
	fu, _ := url.Parse(foreign.srv.URL)
	cases := map[string]struct {
		discovery func(self string) any
		jwks      func(self string, w http.ResponseWriter, r *http.Request)
		opts      []strategies.OIDCKeySetOption
	}{
		"jwks_uri foreign": {discovery: func(self string) any {
			return map[string]string{"issuer": self, "jwks_uri": foreign.srv.URL + "/jwks"}
		}},
		"jwks_uri foreign, upper-case key name": {discovery: func(self string) any {
			return []byte(`{"issuer":"` + self + `","JWKS_URI":"` + foreign.srv.URL + `/jwks"}`)
		}},
		"jwks_uri twice, foreign last": {discovery: func(self string) any {
			return []byte(`{"issuer":"` + self + `","jwks_uri":"` + self + `/jwks","jwks_uri":"` + foreign.srv.URL + `/jwks"}`)
		}},
		"jwks_uri http same host": {discovery: func(self string) any {
			return map[string]string{"issuer": self, "jwks_uri": strings.Replace(self, "https:", "http:", 1) + "/jwks"}
		}},
		"jwks_uri with userinfo naming the issuer": {discovery: func(self string) any {
			u, _ := url.Parse(self)
			return map[string]string{"issuer": self, "jwks_uri": "https://" + u.Host + "@" + fu.Host + "/jwks"}
		}},
		"jwks_uri same host other port": {discovery: func(self string) any {
			return map[string]string{"issuer": self, "jwks_uri": otherPort(self) + "/jwks"}
		}},
		"jwks_uri protocol-relative": {discovery: func(self string) any {
			return map[string]string{"issuer": self, "jwks_uri": "//" + fu.Host + "/jwks"}
		}},
		"jwks_uri relative path": {discovery: func(self string) any {
			return map[string]string{"issuer": self, "jwks_uri": "/jwks"}
		}},
		"jwks_uri with backslash": {discovery: func(self string) any {
			u, _ := url.Parse(self)
			return map[string]string{"issuer": self, "jwks_uri": "https://" + fu.Host + "\\@" + u.Host + "/jwks"}
		}},
		"jwks redirect chain leaves the origin on hop 2": {
			discovery: func(self string) any { return map[string]string{"issuer": self, "jwks_uri": self + "/a"} },
			jwks: func(self string, w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/a":
					http.Redirect(w, r, self+"/b", http.StatusFound)
				case "/b":
					http.Redirect(w, r, foreign.srv.URL+"/jwks", http.StatusFound)
				}
			},
		},
		"jwks redirect to same host other port": {
			discovery: func(self string) any { return map[string]string{"issuer": self, "jwks_uri": self + "/a"} },
			jwks: func(self string, w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, otherPort(self)+"/jwks", http.StatusTemporaryRedirect)
			},
		},
		"jwks redirect downgrades to http": {
			discovery: func(self string) any { return map[string]string{"issuer": self, "jwks_uri": self + "/a"} },
			jwks: func(self string, w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, strings.Replace(self, "https:", "http:", 1)+"/jwks", http.StatusFound)
			},
		},
		"discovery redirect to foreign": {discovery: func(self string) any {
			return http.RedirectHandler(foreign.srv.URL+"/.well-known/openid-configuration", http.StatusFound)
		}},
		"issuer mismatch with trailing slash": {discovery: func(self string) any {
			return map[string]string{"issuer": self + "/", "jwks_uri": self + "/jwks"}
		}},
		"huge discovery body": {discovery: func(self string) any {
			return []byte(`{"issuer":"` + self + `","jwks_uri":"` + self + `/jwks","x":"` + strings.Repeat("a", strategies.MaxKeySetResponseBytes) + `"}`)
		}},
		"huge JWKS body": {
			discovery: func(self string) any { return map[string]string{"issuer": self, "jwks_uri": self + "/jwks"} },
			jwks: func(self string, w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(`{"keys":[],"x":"` + strings.Repeat("a", strategies.MaxKeySetResponseBytes) + `"}`))
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := foreign.requests.Load()
			issuer := attackIssuer(t, tc.discovery, tc.jwks)
			err := keysFrom(t, issuer, tc.opts...)
			if err == nil {
				t.Errorf("keys were fetched")
			} else if !errors.Is(err, strategies.ErrKeysUnavailable) {
				t.Errorf("error %v, want ErrKeysUnavailable", err)
			}
			if n := foreign.requests.Load() - before; n != 0 {
				t.Errorf("the foreign origin got %d requests", n)
			}
		})
	}
}

// TestAttack_AllowedJWKSOriginCannotBounce: jwks_uri on an allowed origin
// that redirects on to a third origin is refused; the third hears nothing.
func TestAttack_AllowedJWKSOriginCannotBounce(t *testing.T) {
	verifyNoLeaks(t)
	third := newJWKSSink(t, &jwtTestKeys().rsa.PublicKey)
	allowed := newCredentialSink(t, http.RedirectHandler(third.srv.URL+"/jwks", http.StatusFound))
	issuer := attackIssuer(t, func(self string) any {
		return map[string]string{"issuer": self, "jwks_uri": allowed.srv.URL + "/jwks"}
	}, nil)
	err := keysFrom(t, issuer, strategies.WithJWKSOrigins(allowed.srv.URL))
	if err == nil {
		t.Error("keys were fetched through a bounce")
	}
	if n := third.requests.Load(); n != 0 {
		t.Errorf("the third origin got %d requests", n)
	}
}

// TestAttack_OIDCKeySetConfigRefusesWeakURLs: issuers and allowed origins
// over http, with credentials, query or fragment are refused at start-up.
func TestAttack_OIDCKeySetConfigRefusesWeakURLs(t *testing.T) {
	for _, issuer := range []string{"http://issuer.example", "https://user:pw@issuer.example", "https://issuer.example?x=1", "https://issuer.example#f", "issuer.example", "https://", "HTTPS://"} {
		if k, err := strategies.OIDCKeySet(context.Background(), issuer); err == nil {
			k.Close()
			t.Errorf("issuer %q accepted", issuer)
		}
	}
	for _, o := range []string{"http://keys.example", "https://u@keys.example", "keys.example", ""} {
		if k, err := strategies.OIDCKeySet(context.Background(), "https://issuer.example", strategies.WithJWKSOrigins(o)); err == nil {
			k.Close()
			t.Errorf("origin %q accepted", o)
		}
	}
}

// TestAttack_APIServerClientKeepsTheTokenHome: the pod's token goes only to
// the API server's origin: not to a foreign host, not over http, not to
// another port of the same host, not after a redirect, not to a URL whose
// userinfo names the API server.
func TestAttack_APIServerClientKeepsTheTokenHome(t *testing.T) {
	foreign := newCredentialSink(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	api := newCredentialSink(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bounce" {
			http.Redirect(w, r, foreign.srv.URL+"/stolen", http.StatusTemporaryRedirect)
		}
	}))
	client, err := strategies.APIServerHTTPClient(clusterConfig(t, api, "pod-token-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	client.Timeout = 5 * time.Second
	au, _ := url.Parse(api.srv.URL)
	fu, _ := url.Parse(foreign.srv.URL)
	for _, u := range []string{
		foreign.srv.URL + "/x",
		api.srv.URL + "/bounce",
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
	for _, a := range foreign.authorizations() {
		if strings.Contains(a, "pod-token-secret") {
			t.Errorf("the foreign host received the pod's token: %q", a)
		}
	}
	if got := api.authorizations(); len(got) == 0 || got[0] != "Bearer pod-token-secret" {
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
	client2, err := strategies.APIServerHTTPClient(clusterConfig(t, api, "pod-token-secret"), strings.Replace(plain.URL, "http:", "https:", 1))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := client2.Get(plain.URL + "/x"); err == nil {
		resp.Body.Close()
	}
	if _, err := strategies.APIServerHTTPClient(clusterConfig(t, api, "t"), "http://"+au.Host); err == nil {
		t.Error("an http alias of the API server was accepted")
	}
	if _, err := strategies.APIServerHTTPClient(clusterConfig(t, api, "t"), "https://user@"+au.Host); err == nil {
		t.Error("an alias with userinfo was accepted")
	}
}
