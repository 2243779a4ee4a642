package authnconfig

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn/signed"
	"github.com/authchain/authchain/internal/tokentest"
)

// pathRecorder serves a JWKS over TLS at any path and records the paths
// asked.
type pathRecorder struct {
	srv   *httptest.Server
	mu    sync.Mutex
	paths []string
}

func newPathRecorder(t *testing.T, set []byte) *pathRecorder {
	r := &pathRecorder{}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.paths = append(r.paths, req.URL.Path)
		r.mu.Unlock()
		_, _ = w.Write(set)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *pathRecorder) asked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.paths...)
}

// TestJWKSURL: a jwt strategy with jwksURL fetches that URL alone, never a
// discovery document, through Deps.HTTPClient; Parse fetches nothing; the
// key set is in KeySets and Synced once fetched.
func TestJWKSURL(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	keys := newPathRecorder(t, tokentest.StaticJWKS(t))
	cfg, err := Parse([]byte(header + `spec:
  strategies:
  - jwt:
      issuer: ` + tokentest.Issuer + `
      jwksURL: ` + keys.srv.URL + `/openid/v1/jwks
      audiences: [` + tokentest.Audience + `]
  - synthetic: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(keys.asked()); n != 0 {
		t.Errorf("Parse made %d requests, want none", n)
	}
	built, err := cfg.Build(context.Background(), Deps{HTTPClient: keys.srv.Client(), Now: tokentest.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	p, _, err := built.Chain.Authenticate(tokentest.Request(tokentest.RSA(t, tokentest.Claims())))
	if err != nil || p.Credential == nil || p.Credential.Issuer != tokentest.Issuer {
		t.Fatalf("Authenticate = %+v, %v; want the token verified with the keys at jwksURL", p, err)
	}
	for _, path := range keys.asked() {
		if path != "/openid/v1/jwks" {
			t.Errorf("asked for %s, want only /openid/v1/jwks", path)
		}
	}
	if len(built.KeySets) != 1 || built.KeySets[0].Issuer() != keys.srv.URL+"/openid/v1/jwks" || !built.Synced() {
		t.Errorf("KeySets %v, Synced %v: want the JWKS URL's set, fetched", built.KeySets, built.Synced())
	}
}

// TestSignedKinds builds each signed-assertion kind and has it verify an
// assertion minted as its vendor does: pomerium and iap with keys at a
// jwksURL (fetched through Deps.HTTPClient), teleport with a jwksFile. A
// bad signature of the configured issuer is refused, not passed on.
func TestSignedKinds(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	ecSet, rsaSet := tokentest.JWKS(t, &k.EC.PublicKey), tokentest.JWKS(t, &k.RSA.PublicKey)
	ecKID, rsaKID := tokentest.KubeKID(t, &k.EC.PublicKey), tokentest.KubeKID(t, &k.RSA.PublicKey)
	pomeriumKeys, iapKeys := newPathRecorder(t, ecSet), newPathRecorder(t, ecSet)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "teleport.json"), rsaSet, 0o600); err != nil {
		t.Fatal(err)
	}
	now := tokentest.Now()
	exp, iat := now.Add(5*time.Minute).Unix(), now.Add(-time.Minute).Unix()
	const iapAudience = "/projects/123456/global/backendServices/789"
	tests := []struct {
		name, config, header, token, user string
		keys                              *pathRecorder
	}{
		{
			name: "pomerium",
			config: `  - pomerium:
      route: app.example.com
      jwksURL: ` + pomeriumKeys.srv.URL + signed.PomeriumKeysPath + `
      groupsPrefix: "pomerium:"
`,
			header: signed.PomeriumHeader,
			token: tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, ecKID, gojwt.MapClaims{
				"iss": "app.example.com", "aud": "app.example.com", "exp": exp, "iat": iat,
				"sub": "idp-1", "email": "alice@example.com", "groups": []string{"dev"},
			}),
			user: "alice@example.com",
			keys: pomeriumKeys,
		},
		{
			name: "iap",
			config: `  - iap:
      audience: ` + iapAudience + `
      jwksURL: ` + iapKeys.srv.URL + `/iap/verify/public_key-jwk
`,
			header: signed.IAPHeader,
			token: tokentest.Mint(t, gojwt.SigningMethodES256, k.EC, ecKID, gojwt.MapClaims{
				"iss": signed.IAPIssuer, "aud": iapAudience, "exp": exp, "iat": iat,
				"sub": "accounts.google.com:42", "email": "bob@example.com",
			}),
			user: "bob@example.com",
			keys: iapKeys,
		},
		{
			name: "teleport",
			config: `  - teleport:
      cluster: teleport.example.com
      appURI: https://grafana.example.com
      jwksFile: teleport.json
`,
			header: signed.TeleportHeader,
			token: tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, rsaKID, gojwt.MapClaims{
				"iss": "teleport.example.com", "aud": []string{"https://grafana.example.com"}, "exp": exp, "iat": iat,
				"sub": "carol", "username": "carol", "roles": []string{"access"},
			}),
			user: "carol",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(header+"spec:\n  strategies:\n"+tt.config), WithDir(dir))
			if err != nil {
				t.Fatal(err)
			}
			client := http.DefaultClient
			if tt.keys != nil {
				client = tt.keys.srv.Client()
			}
			built, err := cfg.Build(context.Background(), Deps{HTTPClient: client, Now: tokentest.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer built.Close()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set(tt.header, tt.token)
			p, _, err := built.Chain.Authenticate(r)
			if err != nil || p.User.Name != tt.user {
				t.Fatalf("Authenticate = %+v, %v; want user %s", p.User, err, tt.user)
			}
			if tt.keys != nil && (len(tt.keys.asked()) == 0 || len(built.KeySets) != 1 || !built.Synced()) {
				t.Errorf("requests %v, KeySets %d, Synced %v: want the jwksURL fetched", tt.keys.asked(), len(built.KeySets), built.Synced())
			}
			r = httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set(tt.header, tt.token[:len(tt.token)-4]+"AAAA")
			if _, _, err := built.Chain.Authenticate(r); err == nil {
				t.Error("a bad signature was not refused")
			}
		})
	}
}

// TestIAPDefaultKeysAndALB: without jwksURL or jwksFile, iap's keys are those at
// signed.IAPKeysURL; alb builds its region's key set.
func TestIAPDefaultKeysAndALB(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	var mu sync.Mutex
	var asked []string
	offline := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		asked = append(asked, r.URL.String())
		mu.Unlock()
		return nil, errors.New("offline")
	})}
	cfg, err := Parse([]byte(header + `spec:
  strategies:
  - iap:
      audience: /projects/123456/apps/my-project
  - alb:
      region: eu-west-1
      loadBalancerARN: arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188
      issuer: https://idp.example.com
      clientID: web
`))
	if err != nil {
		t.Fatal(err)
	}
	built, err := cfg.Build(context.Background(), Deps{HTTPClient: offline, Now: tokentest.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	if len(built.KeySets) != 1 || built.KeySets[0].Issuer() != signed.IAPKeysURL {
		t.Errorf("KeySets %v, want IAP's key set at %s", built.KeySets, signed.IAPKeysURL)
	}
	// An ALB assertion of the configured issuer makes its key set ask the
	// region's endpoint through Deps.HTTPClient.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(signed.ALBHeader, tokentest.Mint(t, gojwt.SigningMethodES256, tokentest.Keys().EC, "0d3c1e2f-aaaa-bbbb-cccc-123456789abc",
		gojwt.MapClaims{"email": "dave@example.com", "exp": tokentest.Now().Add(time.Minute).Unix()},
		map[string]any{"iss": "https://idp.example.com", "client": "web", "exp": tokentest.Now().Add(time.Minute).Unix(),
			"signer": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"}))
	if _, _, err := built.Chain.Authenticate(r); err == nil {
		t.Error("an ALB assertion whose key cannot be fetched was not refused")
	}
	mu.Lock()
	defer mu.Unlock()
	found := false
	for _, u := range asked {
		found = found || strings.HasPrefix(u, "https://public-keys.auth.elb.eu-west-1.amazonaws.com/")
	}
	if !found {
		t.Errorf("requests %v, want one to the region's key endpoint", asked)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
