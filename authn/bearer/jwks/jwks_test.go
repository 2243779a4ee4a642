package jwks_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/internal/tokentest"
)

// selfSigned returns a certificate for key, already expired: StaticKeySet
// takes the key and ignores the dates.
func selfSigned(t testing.TB, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "service-accounts"},
		NotBefore:    time.Unix(1_500_000_000, 0),
		NotAfter:     time.Unix(1_600_000_000, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tokentest.PEM(t, "CERTIFICATE", der)
}

func TestStaticKeySet(t *testing.T) {
	k := tokentest.Keys()
	rsaPub, ecPub := &k.RSA.PublicKey, &k.EC.PublicKey
	rsaKID, ecKID := tokentest.KubeKID(t, rsaPub), tokentest.KubeKID(t, ecPub)
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk := func(key any, kid, use string) json.RawMessage {
		b, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: kid, Use: use})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	keySet := func(keys ...json.RawMessage) []byte {
		b, err := json.Marshal(map[string]any{"keys": keys})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	tests := []struct {
		name string
		data []byte
		// want maps kids to the key Key must return; every other kid
		// asked must be unknown.
		want map[string]crypto.PublicKey
	}{
		{
			name: "JWKS as kube-apiserver serves it",
			data: tokentest.JWKS(t, rsaPub, ecPub),
			want: map[string]crypto.PublicKey{rsaKID: rsaPub, ecKID: ecPub},
		},
		{
			name: "JWKS of one key also serves tokens without kid",
			data: tokentest.JWKS(t, ecPub),
			want: map[string]crypto.PublicKey{ecKID: ecPub, "": ecPub},
		},
		{
			name: "JWKS key without kid",
			data: keySet(jwk(rsaPub, "", "sig")),
			want: map[string]crypto.PublicKey{"": rsaPub},
		},
		{
			name: "JWKS ignores encryption, symmetric and unknown keys",
			data: keySet(
				jwk(rsaPub, "r", "sig"),
				jwk(ecPub, "enc-key", "enc"),
				jwk([]byte("0123456789abcdef0123456789abcdef"), "hmac", ""),
				json.RawMessage(`{"kty":"OKP","crv":"X448","kid":"x448","x":"AAAA"}`),
				json.RawMessage(`{"kty":"RSA","kid":"broken","n":"AQAB"}`),
				json.RawMessage(`{"kty":"WHAT","kid":"what"}`),
			),
			want: map[string]crypto.PublicKey{"r": rsaPub, "": rsaPub},
		},
		{
			name: "JWKS Ed25519",
			data: keySet(jwk(edPub, "ed", "sig")),
			want: map[string]crypto.PublicKey{"ed": edPub, "": edPub},
		},
		{
			name: "PEM public keys under kube-apiserver kids",
			data: append(tokentest.PKIXPEM(t, rsaPub), tokentest.PKIXPEM(t, ecPub)...),
			want: map[string]crypto.PublicKey{rsaKID: rsaPub, ecKID: ecPub},
		},
		{
			name: "PEM PKCS#1 RSA key",
			data: tokentest.PEM(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(rsaPub)),
			want: map[string]crypto.PublicKey{rsaKID: rsaPub, "": rsaPub},
		},
		{
			name: "expired certificate and the same key: one key",
			data: append(append([]byte("# sa.pub\n"), selfSigned(t, k.EC)...), tokentest.PKIXPEM(t, ecPub)...),
			want: map[string]crypto.PublicKey{ecKID: ecPub, "": ecPub},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := jwks.Static(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			for kid, want := range tt.want {
				got, err := keys.Key(context.Background(), kid)
				if err != nil {
					t.Errorf("Key(%q): %v", kid, err)
					continue
				}
				if eq, ok := got.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(want) {
					t.Errorf("Key(%q) = %T, not the expected key", kid, got)
				}
			}
			for _, kid := range []string{"", "unknown", rsaKID, ecKID, "enc-key", "hmac"} {
				if _, ok := tt.want[kid]; ok {
					continue
				}
				if _, err := keys.Key(context.Background(), kid); !errors.Is(err, jwks.ErrUnknownKey) {
					t.Errorf("Key(%q) error = %v, want ErrUnknownKey", kid, err)
				}
			}
		})
	}
}

func TestStaticKeySetErrors(t *testing.T) {
	k := tokentest.Keys()
	privJWK, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.EC, KeyID: "p"}}})
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k.RSA)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"empty", []byte(" \n"), "no keys given"},
		{"not JSON", []byte(`{"keys":`), "not a JSON object"},
		{"no keys list", []byte(`{"kid":"x"}`), `no "keys" list`},
		{"only unusable keys", []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`), "no usable signature key"},
		{"private JWK", privJWK, "private key material"},
		{"duplicate kid", tokentest.JWKS(t, &k.RSA.PublicKey, &k.RSA.PublicKey), "two keys with kid"},
		{"PEM private key", tokentest.PEM(t, "PRIVATE KEY", pkcs8), "is a private key"},
		{"PEM RSA private key", tokentest.PEM(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.RSA)), "is a private key"},
		{"PEM unknown block", tokentest.PEM(t, "OPENSSH KEY", []byte("x")), "unsupported type"},
		{"PEM garbage", tokentest.PEM(t, "PUBLIC KEY", []byte("x")), "PEM block 1"},
		{"PEM then junk", append(tokentest.PKIXPEM(t, &k.EC.PublicKey), "junk"...), "neither a JWKS document nor PEM"},
		{"not PEM", []byte("ssh-rsa AAAA"), "neither a JWKS document nor PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwks.Static(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// fakeIssuer serves OIDC discovery and a JWKS over TLS, as kube-apiserver
// does, and counts what it is asked.
type fakeIssuer struct {
	srv         *httptest.Server
	discoveries atomic.Int32
	fetches     atomic.Int32

	mu              sync.Mutex
	entered         chan struct{} // when not nil, told of every JWKS request
	jwks            []byte
	status          int           // of the JWKS; 200 when 0
	discoveryIssuer string        // "" for the server's own URL
	jwksURI         string        // "" for the server's /openid/v1/jwks
	release         chan struct{} // when not nil, JWKS requests wait for it
}

// secretBody is served with error statuses; no error may quote it.
const secretBody = "internal-detail-7f3a"

func newFakeIssuer(t *testing.T, pubs ...crypto.PublicKey) *fakeIssuer {
	t.Helper()
	f := &fakeIssuer{jwks: tokentest.JWKS(t, pubs...)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		f.discoveries.Add(1)
		f.mu.Lock()
		iss, uri := f.discoveryIssuer, f.jwksURI
		f.mu.Unlock()
		if iss == "" {
			iss = f.srv.URL
		}
		if uri == "" {
			uri = f.srv.URL + "/openid/v1/jwks"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss, "jwks_uri": uri,
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /openid/v1/jwks", func(w http.ResponseWriter, r *http.Request) {
		f.fetches.Add(1)
		f.mu.Lock()
		body, status, release, entered := f.jwks, f.status, f.release, f.entered
		f.mu.Unlock()
		if entered != nil {
			entered <- struct{}{}
		}
		if release != nil {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		if status != 0 && status != http.StatusOK {
			http.Error(w, secretBody, status)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(body)
	})
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIssuer) setKeys(t *testing.T, pubs ...crypto.PublicKey) {
	b := tokentest.JWKS(t, pubs...)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwks = b
}

func (f *fakeIssuer) update(edit func(f *fakeIssuer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(f)
}

// verifyNoLeaks checks, after every cleanup registered later has run, that
// the test left no goroutine behind.
func newOIDCKeys(t *testing.T, f *fakeIssuer, clock *tokentest.Clock, opts ...jwks.Option) *jwks.OIDCKeys {
	t.Helper()
	opts = append([]jwks.Option{
		jwks.WithHTTPClient(f.srv.Client()),
		jwks.WithClock(clock.Now),
	}, opts...)
	keys, err := jwks.OIDC(context.Background(), f.srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	return keys
}

// newOIDCJWT is a strategy for tokens of f's issuer. Its cache is off, so
// that every request reaches the key set.
func newOIDCJWT(t *testing.T, f *fakeIssuer, keys jwks.KeySet) *jwt.Strategy {
	t.Helper()
	s, err := jwt.ServiceAccount(f.srv.URL, keys,
		jwt.WithAudiences(tokentest.Audience), jwt.WithClock(tokentest.Now), jwt.WithCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// oidcToken signs jwtClaims, issued by f, with key under its Kubernetes kid.
func oidcToken(t *testing.T, f *fakeIssuer, key crypto.Signer) string {
	t.Helper()
	method := gojwt.SigningMethod(gojwt.SigningMethodRS256)
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		method = gojwt.SigningMethodES256
	}
	return tokentest.Mint(t, method, key, tokentest.KubeKID(t, key.Public()), tokentest.Claims(tokentest.Set("iss", f.srv.URL)))
}

func oidcVerified(f *fakeIssuer) authn.Decision {
	return tokentest.Verified(func(p *authn.Principal) { p.Credential.Issuer = f.srv.URL })
}

func TestOIDCKeySetRotation(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t, &k.RSA.PublicKey)
	clock := tokentest.NewClockAt(tokentest.Now())
	keys := newOIDCKeys(t, f, clock)
	s := newOIDCJWT(t, f, keys)
	tokenA, tokenB, tokenC := oidcToken(t, f, k.RSA), oidcToken(t, f, k.RSA2), oidcToken(t, f, k.EC)

	if d := tokentest.Authenticate(s, tokenA); d.Outcome != authn.Contributed {
		t.Fatalf("key A: %v", d)
	}
	if !keys.Synced() {
		t.Error("Synced() = false after a fetch")
	}
	if n, m := f.discoveries.Load(), f.fetches.Load(); n != 1 || m != 1 {
		t.Errorf("first use: %d discoveries, %d JWKS fetches, want 1 and 1", n, m)
	}

	// B is not published yet, and the set was fetched just now: no fetch.
	tokentest.WantOutcome(t, "key B before rotation", tokentest.Authenticate(s, tokenB), authn.Rejected, "token signed with an unknown key")
	if n := f.fetches.Load(); n != 1 {
		t.Errorf("unknown kid within the minimum refresh interval: %d fetches, want 1", n)
	}

	// The issuer adds B. A burst of requests with B shares one refresh.
	f.setKeys(t, &k.RSA.PublicKey, &k.RSA2.PublicKey)
	clock.Advance(jwks.DefaultMinRefreshInterval)
	const burst = 50
	start := make(chan struct{})
	decisions := make([]authn.Decision, burst)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() {
			<-start
			decisions[i] = tokentest.Authenticate(s, tokenB)
		})
	}
	close(start)
	wg.Wait()
	for i, d := range decisions {
		if diff := cmp.Diff(oidcVerified(f), d); diff != "" {
			t.Errorf("burst request %d (-want +got):\n%s", i, diff)
			break
		}
	}
	if n := f.fetches.Load(); n != 2 {
		t.Errorf("burst of %d unknown-kid requests: %d fetches in all, want 2 (one refresh)", burst, n)
	}
	if n := f.discoveries.Load(); n != 1 {
		t.Errorf("%d discoveries, want 1: the JWKS URI is kept while fetches succeed", n)
	}

	// Another unknown kid right after: rate limited, rejected at once.
	tokentest.WantOutcome(t, "key C within the interval", tokentest.Authenticate(s, tokenC), authn.Rejected, "token signed with an unknown key")
	if n := f.fetches.Load(); n != 2 {
		t.Errorf("second unknown kid within the minimum refresh interval: %d fetches, want 2", n)
	}

	// The issuer drops A. Once a refresh has run, A stops verifying.
	f.setKeys(t, &k.RSA2.PublicKey)
	clock.Advance(jwks.DefaultMinRefreshInterval)
	tokentest.WantOutcome(t, "key C after the interval", tokentest.Authenticate(s, tokenC), authn.Rejected, "token signed with an unknown key")
	if n := f.fetches.Load(); n != 3 {
		t.Errorf("unknown kid after the minimum refresh interval: %d fetches, want 3", n)
	}
	tokentest.WantOutcome(t, "removed key A", tokentest.Authenticate(s, tokenA), authn.Rejected, "token signed with an unknown key")
	tokentest.WantOutcome(t, "key B", tokentest.Authenticate(s, tokenB), authn.Contributed, "")
	if n := f.fetches.Load(); n != 3 {
		t.Errorf("%d fetches in all, want 3", n)
	}
}

// TestOIDCKeySetCachedTokenAfterRotation: a token verified and cached
// before its key was removed is refused as soon as the set is refreshed.
func TestOIDCKeySetCachedTokenAfterRotation(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t, &k.RSA.PublicKey)
	clock := tokentest.NewClockAt(tokentest.Now())
	keys := newOIDCKeys(t, f, clock)
	s, err := jwt.ServiceAccount(f.srv.URL, keys,
		jwt.WithAudiences(tokentest.Audience), jwt.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	tokenA, tokenB := oidcToken(t, f, k.RSA), oidcToken(t, f, k.RSA2)
	tokentest.WantOutcome(t, "key A", tokentest.Authenticate(s, tokenA), authn.Contributed, "")
	tokentest.WantOutcome(t, "key A, cached", tokentest.Authenticate(s, tokenA), authn.Contributed, "")

	f.setKeys(t, &k.RSA2.PublicKey)
	clock.Advance(jwks.DefaultMinRefreshInterval)
	tokentest.WantOutcome(t, "key B", tokentest.Authenticate(s, tokenB), authn.Contributed, "")
	tokentest.WantOutcome(t, "key A, cached, after its removal", tokentest.Authenticate(s, tokenA), authn.Rejected, "token signed with an unknown key")
}

// TestOIDCKeySetCachedTokenAfterAlgorithmBound: a cached PS256 token is
// refused once the issuer publishes its key with "alg":"RS256".
func TestOIDCKeySetCachedTokenAfterAlgorithmBound(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t)
	f.update(func(f *fakeIssuer) { f.jwks = tokentest.JWKSWithAlg(t, "", &k.RSA.PublicKey) })
	clock := tokentest.NewClockAt(tokentest.Now())
	keys := newOIDCKeys(t, f, clock)
	s, err := jwt.ServiceAccount(f.srv.URL, keys,
		jwt.WithAudiences(tokentest.Audience), jwt.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	ps256 := tokentest.Mint(t, gojwt.SigningMethodPS256, k.RSA, tokentest.KubeKID(t, &k.RSA.PublicKey), tokentest.Claims(tokentest.Set("iss", f.srv.URL)))
	tokentest.WantOutcome(t, "PS256, key without alg", tokentest.Authenticate(s, ps256), authn.Contributed, "")
	tokentest.WantOutcome(t, "PS256, key without alg, cached", tokentest.Authenticate(s, ps256), authn.Contributed, "")

	f.update(func(f *fakeIssuer) { f.jwks = tokentest.JWKSWithAlg(t, "RS256", &k.RSA.PublicKey) })
	clock.Advance(jwks.DefaultMinRefreshInterval)
	// An unknown kid makes the set refresh.
	tokentest.WantOutcome(t, "unknown kid", tokentest.Authenticate(s, oidcToken(t, f, k.RSA2)), authn.Rejected, "token signed with an unknown key")
	tokentest.WantOutcome(t, "PS256, cached, key now bound to RS256", tokentest.Authenticate(s, ps256), authn.Rejected, "token algorithm does not match its key")
	tokentest.WantOutcome(t, "RS256", tokentest.Authenticate(s, oidcToken(t, f, k.RSA)), authn.Contributed, "")
}

func TestOIDCKeySetStaleness(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t, &k.RSA.PublicKey)
	clock := tokentest.NewClockAt(tokentest.Now())
	keys := newOIDCKeys(t, f, clock)
	s := newOIDCJWT(t, f, keys)
	tokenA, tokenB := oidcToken(t, f, k.RSA), oidcToken(t, f, k.RSA2)
	tokentest.WantOutcome(t, "fresh", tokentest.Authenticate(s, tokenA), authn.Contributed, "")

	f.update(func(f *fakeIssuer) { f.status = http.StatusInternalServerError })
	clock.Advance(jwks.DefaultMaxStaleness - time.Minute)
	tokentest.WantOutcome(t, "known kid, fetches failing, not stale", tokentest.Authenticate(s, tokenA), authn.Contributed, "")
	if !keys.Synced() {
		t.Error("Synced() = false before the set is stale")
	}
	// An unknown kid now refreshes, which fails: keys are unavailable
	// rather than the kid unknown.
	d := tokentest.Authenticate(s, tokenB)
	tokentest.WantOutcome(t, "unknown kid, refresh failing", d, authn.Failed, "signing keys unavailable")
	if !errors.Is(d.Cause, jwks.ErrKeysUnavailable) || strings.Contains(d.Cause.Error(), secretBody) {
		t.Errorf("cause %v: want ErrKeysUnavailable, and no response body", d.Cause)
	}

	clock.Advance(2 * time.Minute)
	d = tokentest.Authenticate(s, tokenA)
	tokentest.WantOutcome(t, "known kid, stale", d, authn.Failed, "signing keys unavailable")
	if !errors.Is(d.Cause, jwks.ErrKeysUnavailable) {
		t.Errorf("cause %v: want ErrKeysUnavailable", d.Cause)
	}
	if keys.Synced() {
		t.Error("Synced() = true for a stale set")
	}
	if _, err := keys.Key(context.Background(), tokentest.KubeKID(t, &k.RSA.PublicKey)); err == nil || strings.Contains(err.Error(), secretBody) {
		t.Errorf("Key error %v: want one, without the response body", err)
	}

	// The issuer recovers; the next refresh due brings the set back.
	f.update(func(f *fakeIssuer) { f.status = 0 })
	clock.Advance(jwks.DefaultMinRefreshInterval)
	tokentest.WantOutcome(t, "recovered", tokentest.Authenticate(s, tokenA), authn.Contributed, "")
	if !keys.Synced() {
		t.Error("Synced() = false after recovery")
	}
}

func TestOIDCKeySetUnavailableAtStart(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t, &k.RSA.PublicKey)
	f.update(func(f *fakeIssuer) { f.status = http.StatusServiceUnavailable })
	clock := tokentest.NewClockAt(tokentest.Now())
	keys := newOIDCKeys(t, f, clock)
	s := newOIDCJWT(t, f, keys)
	token := oidcToken(t, f, k.RSA)

	d := tokentest.Authenticate(s, token)
	tokentest.WantOutcome(t, "before any fetch", d, authn.Failed, "signing keys unavailable")
	if !errors.Is(d.Cause, jwks.ErrKeysUnavailable) || !strings.Contains(d.Cause.Error(), "status 503") {
		t.Errorf("cause %v: want ErrKeysUnavailable naming the status", d.Cause)
	}
	if keys.Synced() {
		t.Error("Synced() = true before any fetch")
	}
	f.update(func(f *fakeIssuer) { f.status = 0 })
	tokentest.WantOutcome(t, "within the minimum refresh interval", tokentest.Authenticate(s, token), authn.Failed, "signing keys unavailable")
	clock.Advance(jwks.DefaultMinRefreshInterval)
	tokentest.WantOutcome(t, "issuer up", tokentest.Authenticate(s, token), authn.Contributed, "")
}

func TestOIDCKeySetFetchErrors(t *testing.T) {
	k := tokentest.Keys()
	tests := []struct {
		name    string
		edit    func(f *fakeIssuer)
		wantErr string
	}{
		{"discovery names another issuer", func(f *fakeIssuer) { f.discoveryIssuer = "https://evil.example" }, `document is for issuer "https://evil.example"`},
		{"jwks_uri not https", func(f *fakeIssuer) {
			f.jwksURI = "http://" + strings.TrimPrefix(f.srv.URL, "https://") + "/openid/v1/jwks"
		}, "jwks_uri: not an https URL"},
		{"jwks_uri missing", func(f *fakeIssuer) { f.jwksURI = " " }, "jwks_uri"},
		{"JWKS status", func(f *fakeIssuer) { f.status = http.StatusForbidden }, "status 403"},
		{"JWKS too large", func(f *fakeIssuer) {
			f.jwks = append(bytes.Repeat([]byte(" "), jwks.MaxResponseBytes), f.jwks...)
		}, "body larger than"},
		{"JWKS not JSON", func(f *fakeIssuer) { f.jwks = []byte(secretBody) }, "JWKS is not a JSON object"},
		{"JWKS empty", func(f *fakeIssuer) { f.jwks = []byte(`{"keys":[]}`) }, "no usable signature key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokentest.VerifyNoLeaks(t)
			f := newFakeIssuer(t, &k.RSA.PublicKey)
			f.update(tt.edit)
			keys := newOIDCKeys(t, f, tokentest.NewClockAt(tokentest.Now()))
			_, err := keys.Key(context.Background(), tokentest.KubeKID(t, &k.RSA.PublicKey))
			switch {
			case !errors.Is(err, jwks.ErrKeysUnavailable):
				t.Errorf("error %v, want ErrKeysUnavailable", err)
			case !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			case strings.Contains(err.Error(), secretBody):
				t.Errorf("error %q quotes the response body", err)
			}
			if keys.Synced() {
				t.Error("Synced() = true")
			}
		})
	}
}

// TestOIDCKeySetKnownKidsDoNotWait: while a refresh hangs, requests with
// known kids are answered, and one with an unknown kid waits only as long
// as its context allows.
func TestOIDCKeySetKnownKidsDoNotWait(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t, &k.RSA.PublicKey)
	clock := tokentest.NewClockAt(tokentest.Now())
	keys := newOIDCKeys(t, f, clock)
	kidA, kidB := tokentest.KubeKID(t, &k.RSA.PublicKey), tokentest.KubeKID(t, &k.RSA2.PublicKey)
	if _, err := keys.Key(context.Background(), kidA); err != nil {
		t.Fatal(err)
	}

	release, entered := make(chan struct{}), make(chan struct{}, 1)
	f.update(func(f *fakeIssuer) { f.release, f.entered = release, entered })
	clock.Advance(jwks.DefaultMinRefreshInterval)
	f.setKeys(t, &k.RSA.PublicKey, &k.RSA2.PublicKey)
	waiting := make(chan error, 1)
	go func() {
		_, err := keys.Key(context.Background(), kidB)
		waiting <- err
	}()
	<-entered // the refresh is on the wire, held by the server

	done := make(chan error, 1)
	go func() {
		_, err := keys.Key(context.Background(), kidA)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("known kid during a refresh: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a known kid waited for the refresh")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// The refresh is held until release, so returning at all, with the
	// context's error, shows the wait ended with the context.
	_, err := keys.Key(ctx, "never-published")
	if !errors.Is(err, jwks.ErrKeysUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("unknown kid, context ending during the refresh: %v", err)
	}

	close(release)
	if err := <-waiting; err != nil {
		t.Errorf("the request that triggered the refresh: %v", err)
	}
	if n := f.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
}

func TestOIDCKeySetStopsWithContext(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t, &k.RSA.PublicKey)
	ctx, cancel := context.WithCancel(context.Background())
	keys, err := jwks.OIDC(ctx, f.srv.URL, jwks.WithHTTPClient(f.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Key(context.Background(), tokentest.KubeKID(t, &k.RSA.PublicKey)); err != nil {
		t.Fatal(err)
	}
	cancel()
	// The keys outlive the context until they are stale; new fetches
	// do not happen.
	if _, err := keys.Key(context.Background(), tokentest.KubeKID(t, &k.RSA.PublicKey)); err != nil {
		t.Errorf("known kid after the context ended: %v", err)
	}
	if _, err := keys.Key(context.Background(), "unknown"); !errors.Is(err, jwks.ErrKeysUnavailable) {
		t.Errorf("unknown kid after the context ended: %v, want ErrKeysUnavailable", err)
	}
	// The goroutine check runs at cleanup, without Close.
}

func TestOIDCKeySetClose(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t, &k.RSA.PublicKey)
	keys, err := jwks.OIDC(context.Background(), f.srv.URL, jwks.WithHTTPClient(f.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	keys.Close()
	keys.Close()
	if _, err := keys.Key(context.Background(), "any"); !errors.Is(err, jwks.ErrKeysUnavailable) {
		t.Errorf("Key after Close: %v, want ErrKeysUnavailable", err)
	}
	// Closing with no fetch started, too.
	keys, err = jwks.OIDC(context.Background(), "https://issuer.invalid")
	if err != nil {
		t.Fatal(err)
	}
	keys.Close()
}

func TestOIDCKeySetRefusesRedirectToHTTP(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t, &k.RSA.PublicKey)
	redirect := httptest.NewTLSServer(http.RedirectHandler("http://"+strings.TrimPrefix(f.srv.URL, "https://")+"/.well-known/openid-configuration", http.StatusFound))
	t.Cleanup(redirect.Close)
	keys, err := jwks.OIDC(context.Background(), redirect.URL, jwks.WithHTTPClient(redirect.Client()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	if _, err := keys.Key(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "non-https") {
		t.Errorf("error %v, want the redirect refused", err)
	}
}

func TestOIDCKeySetConfig(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	var nilCtx context.Context
	tests := []struct {
		name    string
		ctx     context.Context
		issuer  string
		opts    []jwks.Option
		wantErr string
	}{
		{name: "defaults", issuer: "https://kubernetes.default.svc.cluster.local"},
		{name: "path and trailing slash", issuer: "https://oidc.example.com/id/ABC/"},
		{name: "nil context", ctx: nilCtx, issuer: "https://a.example", wantErr: "ctx is nil"},
		{name: "http", issuer: "http://127.0.0.1:8080", wantErr: "not an https URL"},
		{name: "not a URL", issuer: "kubernetes/serviceaccount", wantErr: "not an https URL"},
		{name: "query", issuer: "https://a.example/?x=1", wantErr: "without credentials, query or fragment"},
		{name: "credentials", issuer: "https://u:p@a.example", wantErr: "without credentials"},
		{name: "no host", issuer: "https:///path", wantErr: "HOST"},
		{name: "nil client", issuer: "https://a.example", opts: []jwks.Option{jwks.WithHTTPClient(nil)}, wantErr: "WithHTTPClient(nil)"},
		{name: "nil clock", issuer: "https://a.example", opts: []jwks.Option{jwks.WithClock(nil)}, wantErr: "WithClock(nil)"},
		{name: "JWKS origin", issuer: "https://a.example", opts: []jwks.Option{jwks.WithOrigins("https://172.18.0.2:6443")}},
		{name: "no JWKS origin", issuer: "https://a.example", opts: []jwks.Option{jwks.WithOrigins()}, wantErr: "at least one origin"},
		{name: "http JWKS origin", issuer: "https://a.example", opts: []jwks.Option{jwks.WithOrigins("http://172.18.0.2:6443")}, wantErr: "not an https URL"},
		{name: "nil option", issuer: "https://a.example", opts: []jwks.Option{nil}, wantErr: "option 0 is nil"},
		{name: "zero refresh", issuer: "https://a.example", opts: []jwks.Option{jwks.WithRefreshInterval(0)}, wantErr: "refresh interval 0s is not positive"},
		{name: "zero min refresh", issuer: "https://a.example", opts: []jwks.Option{jwks.WithMinRefreshInterval(0)}, wantErr: "minimum refresh interval 0s"},
		{
			name: "min refresh above refresh", issuer: "https://a.example",
			opts:    []jwks.Option{jwks.WithRefreshInterval(time.Minute), jwks.WithMinRefreshInterval(2 * time.Minute)},
			wantErr: "exceeds the refresh interval",
		},
		{
			name: "staleness not above refresh", issuer: "https://a.example",
			opts:    []jwks.Option{jwks.WithRefreshInterval(time.Hour), jwks.WithMaxStaleness(time.Hour)},
			wantErr: "must exceed the refresh interval",
		},
		{
			name: "all set", issuer: "https://a.example",
			opts: []jwks.Option{
				jwks.WithRefreshInterval(time.Minute), jwks.WithMinRefreshInterval(time.Second),
				jwks.WithMaxStaleness(10 * time.Minute), jwks.WithHTTPClient(http.DefaultClient),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil && tt.name != "nil context" {
				// Ended at once: the background fetch gives up at once.
				c, cancel := context.WithCancel(context.Background())
				cancel()
				ctx = c
			}
			keys, err := jwks.OIDC(ctx, tt.issuer, tt.opts...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.wantErr == "":
				keys.Close()
			case err == nil:
				keys.Close()
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			case !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// bearerEverywhere is a client like rest.HTTPClientFor's: its transport
// adds the application's token to every request, whatever the host.
func bearerEverywhere(base *http.Client) *http.Client {
	c := *base
	next := c.Transport
	c.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer app-token")
		return next.RoundTrip(r)
	})
	return &c
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestOIDCKeySetJWKSOrigin: a discovery document naming a jwks_uri on
// another origin is refused, and nothing is fetched from there, unless
// that origin is allowed.
func TestOIDCKeySetJWKSOrigin(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	foreign := tokentest.NewJWKSSink(t, &k.RSA.PublicKey)
	f := newFakeIssuer(t, &k.RSA.PublicKey)
	f.update(func(f *fakeIssuer) { f.jwksURI = foreign.Server.URL + "/openid/v1/jwks" })
	kid := tokentest.KubeKID(t, &k.RSA.PublicKey)

	keys := newOIDCKeys(t, f, tokentest.NewClockAt(tokentest.Now()), jwks.WithHTTPClient(bearerEverywhere(f.srv.Client())))
	_, err := keys.Key(context.Background(), kid)
	if !errors.Is(err, jwks.ErrKeysUnavailable) || !strings.Contains(err.Error(), "neither the issuer's nor one allowed with WithOrigins") {
		t.Errorf("error %v, want the jwks_uri refused", err)
	}
	if n := foreign.Requests.Load(); n != 0 {
		t.Errorf("the foreign origin got %d requests, want 0", n)
	}

	allowed := newOIDCKeys(t, f, tokentest.NewClockAt(tokentest.Now()), jwks.WithOrigins(foreign.Server.URL))
	if _, err := allowed.Key(context.Background(), kid); err != nil {
		t.Errorf("allowed origin: %v", err)
	}
	if n := foreign.Requests.Load(); n != 1 {
		t.Errorf("the allowed origin got %d requests, want 1", n)
	}
}

// TestOIDCKeySetRefusesCrossOriginRedirect: neither the discovery document
// nor the JWKS may redirect to another origin; the client's credentials,
// which its transport adds to every request, never reach that origin. A
// redirect within the origin is followed.
func TestOIDCKeySetRefusesCrossOriginRedirect(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	kid := tokentest.KubeKID(t, &k.RSA.PublicKey)
	foreign := tokentest.NewJWKSSink(t, &k.RSA.PublicKey)
	for _, tt := range []struct {
		name string
		// discovery and serveJWKS answer the issuer's two paths; self is the
		// issuer's URL.
		discovery, serveJWKS func(self string) http.Handler
		wantErr              string
	}{
		{
			name: "discovery redirected to another origin",
			discovery: func(string) http.Handler {
				return http.RedirectHandler(foreign.Server.URL+"/.well-known/openid-configuration", http.StatusFound)
			},
			wantErr: "redirect to another origin refused",
		},
		{
			name: "JWKS redirected to another origin",
			serveJWKS: func(string) http.Handler {
				return http.RedirectHandler(foreign.Server.URL+"/openid/v1/jwks", http.StatusTemporaryRedirect)
			},
			wantErr: "redirect to another origin refused",
		},
		{
			name: "JWKS redirected within the origin",
			serveJWKS: func(self string) http.Handler {
				return http.RedirectHandler(self+"/keys", http.StatusMovedPermanently)
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := foreign.Requests.Load()
			var issuer *httptest.Server
			mux := http.NewServeMux()
			mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
				if tt.discovery != nil {
					tt.discovery(issuer.URL).ServeHTTP(w, r)
					return
				}
				_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer.URL, "jwks_uri": issuer.URL + "/openid/v1/jwks"})
			})
			mux.HandleFunc("GET /openid/v1/jwks", func(w http.ResponseWriter, r *http.Request) {
				tt.serveJWKS(issuer.URL).ServeHTTP(w, r)
			})
			mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write(tokentest.JWKS(t, &k.RSA.PublicKey))
			})
			issuer = httptest.NewTLSServer(mux)
			t.Cleanup(issuer.Close)

			keys, err := jwks.OIDC(context.Background(), issuer.URL,
				jwks.WithHTTPClient(bearerEverywhere(issuer.Client())))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(keys.Close)
			_, err = keys.Key(context.Background(), kid)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
			if n := foreign.Requests.Load() - before; n != 0 {
				t.Errorf("the foreign origin got %d requests, want 0", n)
			}
			for _, a := range foreign.Authorizations() {
				if a != "" {
					t.Errorf("the foreign origin saw Authorization %q", a)
				}
			}
		})
	}
}
