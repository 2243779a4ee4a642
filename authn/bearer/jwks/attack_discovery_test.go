package jwks_test

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

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/tokentest"
)

// attackIssuer is a TLS issuer whose discovery document and JWKS handler
// the test writes; self is its own URL.
func attackIssuer(t *testing.T, discovery func(self string) any, serveJWKS func(self string, w http.ResponseWriter, r *http.Request)) *httptest.Server {
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
		if serveJWKS != nil {
			serveJWKS(srv.URL, w, r)
			return
		}
		_, _ = w.Write(tokentest.JWKS(t, &tokentest.Keys().RSA.PublicKey))
	})
	srv = httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func keysFrom(t *testing.T, issuer *httptest.Server, opts ...jwks.Option) error {
	t.Helper()
	opts = append([]jwks.Option{jwks.WithHTTPClient(bearerEverywhere(issuer.Client()))}, opts...)
	keys, err := jwks.OIDC(context.Background(), issuer.URL, opts...)
	if err != nil {
		return err
	}
	defer keys.Close()
	_, err = keys.Key(context.Background(), tokentest.KubeKID(t, &tokentest.Keys().RSA.PublicKey))
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
	tokentest.VerifyNoLeaks(t)
	foreign := tokentest.NewJWKSSink(t, &tokentest.Keys().RSA.PublicKey)
	fu, _ := url.Parse(foreign.Server.URL)
	cases := map[string]struct {
		discovery func(self string) any
		jwks      func(self string, w http.ResponseWriter, r *http.Request)
		opts      []jwks.Option
	}{
		"jwks_uri foreign": {discovery: func(self string) any {
			return map[string]string{"issuer": self, "jwks_uri": foreign.Server.URL + "/jwks"}
		}},
		"jwks_uri foreign, upper-case key name": {discovery: func(self string) any {
			return []byte(`{"issuer":"` + self + `","JWKS_URI":"` + foreign.Server.URL + `/jwks"}`)
		}},
		"jwks_uri twice, foreign last": {discovery: func(self string) any {
			return []byte(`{"issuer":"` + self + `","jwks_uri":"` + self + `/jwks","jwks_uri":"` + foreign.Server.URL + `/jwks"}`)
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
					http.Redirect(w, r, foreign.Server.URL+"/jwks", http.StatusFound)
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
			return http.RedirectHandler(foreign.Server.URL+"/.well-known/openid-configuration", http.StatusFound)
		}},
		"issuer mismatch with trailing slash": {discovery: func(self string) any {
			return map[string]string{"issuer": self + "/", "jwks_uri": self + "/jwks"}
		}},
		"huge discovery body": {discovery: func(self string) any {
			return []byte(`{"issuer":"` + self + `","jwks_uri":"` + self + `/jwks","x":"` + strings.Repeat("a", jwks.MaxResponseBytes) + `"}`)
		}},
		"huge JWKS body": {
			discovery: func(self string) any { return map[string]string{"issuer": self, "jwks_uri": self + "/jwks"} },
			jwks: func(self string, w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(`{"keys":[],"x":"` + strings.Repeat("a", jwks.MaxResponseBytes) + `"}`))
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := foreign.Requests.Load()
			issuer := attackIssuer(t, tc.discovery, tc.jwks)
			err := keysFrom(t, issuer, tc.opts...)
			if err == nil {
				t.Errorf("keys were fetched")
			} else if !errors.Is(err, jwks.ErrKeysUnavailable) {
				t.Errorf("error %v, want ErrKeysUnavailable", err)
			}
			if n := foreign.Requests.Load() - before; n != 0 {
				t.Errorf("the foreign origin got %d requests", n)
			}
		})
	}
}

// TestAttack_AllowedJWKSOriginCannotBounce: jwks_uri on an allowed origin
// that redirects on to a third origin is refused; the third hears nothing.
func TestAttack_AllowedJWKSOriginCannotBounce(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	third := tokentest.NewJWKSSink(t, &tokentest.Keys().RSA.PublicKey)
	allowed := tokentest.NewCredentialSink(t, http.RedirectHandler(third.Server.URL+"/jwks", http.StatusFound))
	issuer := attackIssuer(t, func(self string) any {
		return map[string]string{"issuer": self, "jwks_uri": allowed.Server.URL + "/jwks"}
	}, nil)
	err := keysFrom(t, issuer, jwks.WithOrigins(allowed.Server.URL))
	if err == nil {
		t.Error("keys were fetched through a bounce")
	}
	if n := third.Requests.Load(); n != 0 {
		t.Errorf("the third origin got %d requests", n)
	}
}

// TestAttack_OIDCKeySetConfigRefusesWeakURLs: issuers and allowed origins
// over http, with credentials, query or fragment are refused at start-up.
func TestAttack_OIDCKeySetConfigRefusesWeakURLs(t *testing.T) {
	for _, issuer := range []string{"http://issuer.example", "https://user:pw@issuer.example", "https://issuer.example?x=1", "https://issuer.example#f", "issuer.example", "https://", "HTTPS://"} {
		if k, err := jwks.OIDC(context.Background(), issuer); err == nil {
			k.Close()
			t.Errorf("issuer %q accepted", issuer)
		}
	}
	for _, o := range []string{"http://keys.example", "https://u@keys.example", "keys.example", ""} {
		if k, err := jwks.OIDC(context.Background(), "https://issuer.example", jwks.WithOrigins(o)); err == nil {
			k.Close()
			t.Errorf("origin %q accepted", o)
		}
	}
}
