package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	gojwt "github.com/golang-jwt/jwt/v5"
)

// issuerForTest is a token issuer: an ECDSA key and its public JWKS.
type issuerForTest struct {
	key  *ecdsa.PrivateKey
	jwks []byte
}

func newIssuerForTest(t *testing.T) issuerForTest {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return issuerForTest{key: key, jwks: jwks}
}

// token mints a bound ServiceAccount token for demo/NAME as kube-apiserver
// would.
func (i issuerForTest) token(t *testing.T, iss, name, uid string) string {
	t.Helper()
	now := time.Now()
	tok := gojwt.NewWithClaims(gojwt.SigningMethodES256, gojwt.MapClaims{
		"iss": iss, "sub": "system:serviceaccount:demo:" + name, "aud": []string{"authchain"},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "jti-1",
		"kubernetes.io": map[string]any{"namespace": "demo", "serviceaccount": map[string]any{"name": name, "uid": uid}},
	})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(i.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestExplainTokenWithJWKSFile(t *testing.T) {
	iss := newIssuerForTest(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "jwks.json"), string(iss.jwks))
	args := []string{"-issuer", "https://issuer.test", "-jwks-file", filepath.Join(dir, "jwks.json"), "-audience", "authchain"}
	tok := iss.token(t, "https://issuer.test", "ambient-key-alice-write", "6f1c2a5e-0d7b-4a53-9a51-2b3908aa0001")

	res, code := explainRun(t, "Authorization: Bearer "+tok+"\n", args...)
	if code != 0 || res.Principal == nil || res.Principal.User.Name != "alice@example.com" || res.Principal.Credential == nil {
		t.Fatalf("exit %d, %+v", code, res)
	}
	// The demo ServiceAccount's uid differs: a token of an earlier
	// incarnation is refused.
	old := iss.token(t, "https://issuer.test", "ambient-key-alice-write", "uid-of-a-deleted-incarnation")
	if res, code := explainRun(t, "Authorization: Bearer "+old+"\n", args...); code != 1 || res.Status != 401 {
		t.Errorf("re-created ServiceAccount: exit %d status %d", code, res.Status)
	}
	if strings.Contains(res.Error, tok) {
		t.Error("error output contains the token")
	}
}

func TestExplainTokenWithOIDCDiscovery(t *testing.T) {
	iss := newIssuerForTest(t)
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "jwks_uri": srv.URL + "/openid/v1/jwks"})
		case "/openid/v1/jwks":
			_, _ = w.Write(iss.jwks)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	writeFile(t, ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	tok := iss.token(t, srv.URL, "ambient-key-alice-write", "6f1c2a5e-0d7b-4a53-9a51-2b3908aa0001")

	res, code := explainRun(t, "Authorization: Bearer "+tok+"\n", "-issuer", srv.URL, "-ca-file", ca, "-audience", "authchain")
	if code != 0 || res.Principal == nil || res.Principal.User.Name != "alice@example.com" {
		t.Fatalf("exit %d, %+v", code, res)
	}
	// Without the CA the issuer's certificate is not trusted: no keys, 503.
	res, code = explainRun(t, "Authorization: Bearer "+tok+"\n", "-issuer", srv.URL, "-audience", "authchain", "-sync-timeout", "200ms")
	if code != 1 || res.Status != http.StatusServiceUnavailable {
		t.Fatalf("without -ca-file: exit %d status %d (%s)", code, res.Status, res.Error)
	}
}

func TestTokenFlagsValidated(t *testing.T) {
	for _, args := range [][]string{
		{"-issuer", "https://issuer.test"},         // no audience
		{"-tokenreview", "-audience", "a"},         // no kubeconfig
		{"-jwks-file", "x.json", "-audience", "a"}, // no issuer
		{"-issuer", "https://issuer.test", "-audience", "a", "-jwks-file", "/does/not/exist"},
	} {
		var out, errb strings.Builder
		if code := run(context.Background(), append([]string{"-explain"}, args...), strings.NewReader(""), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
	}
}
