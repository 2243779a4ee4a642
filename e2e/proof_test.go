//go:build linux

package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
)

// TestForwardedSubjectNeedsProof: the app's chains require token proof for
// forwarded ServiceAccount subjects, the default. Someone whose login
// merely reads like alice's access key, system:serviceaccount:keys:
// ambient-key-alice, calls the app by two paths, and both get a 401:
//
//   - through oauth2-proxy, signed in at a second identity provider that
//     the proxy trusts for bearer tokens (--extra-jwt-issuers): the proxy
//     verifies the provider's token and forwards its sub, the login, as
//     X-Forwarded-User. oauth2-proxy's basic-auth users cannot carry such
//     a name (htpasswd and Basic credentials both split on ':'), so a
//     provider is how a person gets it through this proxy; it is also the
//     case of a second cluster's issuer that the proxy trusts;
//   - through the front proxy, which forwards the login it authenticated
//     as X-Remote-User and never a token.
//
// A route that believes subjects without a token shows what the refusal
// prevents: there the same login acts for alice.
func TestForwardedSubjectNeedsProof(t *testing.T) {
	w := newWorld(t)
	key, token := w.createKey(t, "ambient-key-alice", "alice@example.com", nil)
	subject := "system:serviceaccount:" + keyNamespace + ":ambient-key-alice"

	believing := w.jwtConfig
	believing.InsecureForwardedSubjectWithoutToken = true
	app := httptest.NewServer(NewApp(map[string]*authn.Chain{
		"jwt":       chain(t, w.jwtConfig, w.fresh),
		"believing": chain(t, believing, w.fresh),
	}))
	t.Cleanup(app.Close)
	idp := startIdentityProvider(t, w.cluster.CA)
	proxy := w.h.StartOAuth2Proxy(t, w.cluster, app.URL+"/", audience, users, idp.URL+"="+audience)
	viaProxy := func(t *testing.T, route string, edit func(*http.Request)) answer {
		t.Helper()
		return w.call(t, w.http, proxy.URL+"/"+route+"/whoami", edit)
	}

	t.Run("the key with its token resolves through the same proxy", func(t *testing.T) {
		var a answer
		waitUntil(t, propagationBound, "the key to resolve", func() bool {
			a = viaProxy(t, "jwt", withToken(token))
			return a.Status == http.StatusOK
		})
		if a.Principal.User.Name != "alice@example.com" || a.Principal.Actor == nil || a.Principal.Actor.UID != string(key.UID) ||
			!slices.Equal(a.Principal.Via, []string{"forwarded", "jwt", "annotation"}) {
			t.Errorf("got %s; want alice through the key, its subject forwarded and its token verified", a)
		}
	})

	login := idp.token(t, subject, "mallory@example.com")
	t.Run("identity provider login spelled as the key's subject", func(t *testing.T) {
		a := viaProxy(t, "jwt", withToken(login))
		if a.Status != http.StatusUnauthorized || a.problemStrategy() != "serviceaccount" {
			t.Errorf("got %d %s; want 401 from serviceaccount", a.Status, a)
		}
		// The contrast: believed without a token, the login is alice.
		a = viaProxy(t, "believing", withToken(login))
		if a.Status != http.StatusOK || a.Principal.User.Name != "alice@example.com" || a.Principal.Credential != nil {
			t.Errorf("believing route: got %d %s; want alice, with no credential", a.Status, a)
		}
	})

	t.Run("front proxy login spelled as the key's subject", func(t *testing.T) {
		a := w.call(t, w.frontClient(t, w.frontProxyCA, "front-proxy-client"), w.front.URL+"/front/whoami",
			func(r *http.Request) { r.Header.Set("X-Remote-User", subject) })
		if a.Status != http.StatusUnauthorized || a.problemStrategy() != "serviceaccount" {
			t.Errorf("got %d %s; want 401 from serviceaccount", a.Status, a)
		}
	})
}

// identityProvider is an OpenID provider that signs whatever login a test
// asks for, served over TLS with a certificate of the cluster's CA, which
// oauth2-proxy trusts (--provider-ca-file).
type identityProvider struct {
	URL string
	key *rsa.PrivateKey
}

func startIdentityProvider(t *testing.T, ca *CA) *identityProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	idp := &identityProvider{key: key}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "idp-1", Algorithm: "RS256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{
				"issuer":                                idp.URL,
				"jwks_uri":                              idp.URL + "/keys",
				"id_token_signing_alg_values_supported": []string{"RS256"},
				"response_types_supported":              []string{"id_token"},
				"subject_types_supported":               []string{"public"},
			})
		case "/keys":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(jwks)
		default:
			http.NotFound(w, r)
		}
	}))
	serving, err := ca.IssueServer("identity-provider")
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serving.TLS}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	idp.URL = srv.URL
	return idp
}

// token is the provider's ID token for a person signed in as login, valid
// for audience for ten minutes.
func (idp *identityProvider) token(t *testing.T, login, email string) string {
	t.Helper()
	now := time.Now()
	tok := gojwt.NewWithClaims(gojwt.SigningMethodRS256, gojwt.MapClaims{
		"iss": idp.URL, "sub": login, "aud": audience,
		"email": email, "email_verified": true,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	})
	tok.Header["kid"] = "idp-1"
	s, err := tok.SignedString(idp.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
